package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of extracting features from a list of files of which some may be unreadable.
 *
 * @param files the files that were read, in input order
 * @param vectors one feature vector per entry of {@code files}
 * @param skipped the files that could not be read, with the reason
 */
public record ExtractionResult(List<Path> files, float[][] vectors, List<SkippedFile> skipped) {

    /**
     * Validates and copies the lists.
     *
     * @param files the files that were read, in input order
     * @param vectors one feature vector per entry of {@code files}
     * @param skipped the files that could not be read, with the reason
     * @throws IllegalArgumentException if {@code files} and {@code vectors} differ in length
     */
    public ExtractionResult {
        files = List.copyOf(files);
        skipped = List.copyOf(skipped);
        Objects.requireNonNull(vectors, "vectors");
        if (files.size() != vectors.length) {
            throw new IllegalArgumentException(files.size() + " files but " + vectors.length + " vectors");
        }
    }

    /**
     * A file that was left out, and why.
     *
     * @param path the file
     * @param reason a one-line explanation (from the decoder)
     */
    public record SkippedFile(Path path, String reason) {

        /**
         * Validates the record.
         *
         * @param path the file
         * @param reason a one-line explanation (from the decoder)
         * @throws NullPointerException if a field is null
         */
        public SkippedFile {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
