package org.cnnkit.core.datavec;

import java.io.File;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFiles;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.datavec.api.io.filters.PathFilter;
import org.datavec.api.io.labels.ParentPathLabelGenerator;
import org.datavec.api.io.labels.PathLabelGenerator;
import org.datavec.api.split.FileSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.Writable;

/**
 * An image collection read the DataVec way: the files of an {@link InputSplit} (such as a {@link FileSplit}),
 * optionally narrowed by a {@link PathFilter} (such as DataVec's {@code BalancedPathFilter}), each labelled by a
 * {@link PathLabelGenerator} ({@link ParentPathLabelGenerator} by default, or any of the user's). The result is a
 * cnnkit {@link ImageFolder}, which every trainer, evaluation and the {@link PipelineRecordReader} take.
 *
 * <p>Only local files count, and only those cnnkit decodes (PNG, JPEG, BMP, GIF, not hidden; see
 * {@link ImageFiles#isImage}); other files of the split are left out, as DataVec's {@code ImageRecordReader} leaves
 * out files outside its allowed formats. The class names are the distinct labels the generator gives, sorted
 * (as DataVec's {@code ImageRecordReader} sorts them), and a class's index is its position there. The images are
 * ordered by label, then path, whatever order the split and filter gave them in: a filter chooses which files
 * are used, the trainers choose the order.
 */
public final class DataVecImages {

    private final InputSplit split;
    private final PathLabelGenerator labelGenerator;
    private final PathFilter pathFilter;

    private DataVecImages(Builder builder) {
        this.split = builder.split;
        this.labelGenerator = builder.labelGenerator;
        this.pathFilter = builder.pathFilter;
    }

    /** {@return a builder} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lists, filters and labels the split's image files.
     *
     * @return the labelled collection
     * @throws CnnkitException if the split holds a location that is not a local file, the generator gives no
     *     label for a file, or no image is left; the message names the location
     */
    public ImageFolder read() {
        List<URI> locations = new ArrayList<>();
        for (URI uri : split.locations()) {
            if (ImageFiles.isImage(toPath(uri))) {
                locations.add(uri);
            }
        }
        URI[] chosen = locations.toArray(URI[]::new);
        if (pathFilter != null) {
            chosen = pathFilter.filter(chosen);
        }
        List<String> labelOfFile = new ArrayList<>(chosen.length);
        TreeSet<String> names = new TreeSet<>();
        for (URI uri : chosen) {
            Writable label = labelGenerator.getLabelForPath(uri);
            if (label == null || label.toString().isBlank()) {
                throw new CnnkitException("the label generator " + labelGenerator.getClass().getSimpleName()
                        + " gave no label for " + uri);
            }
            labelOfFile.add(label.toString());
            names.add(label.toString());
        }
        List<String> classNames = List.copyOf(names);
        List<LabeledImage> images = new ArrayList<>(chosen.length);
        for (int i = 0; i < chosen.length; i++) {
            images.add(new LabeledImage(toPath(chosen[i]), classNames.indexOf(labelOfFile.get(i))));
        }
        images.sort(Comparator.comparingInt(LabeledImage::label).thenComparing(LabeledImage::path));
        return ImageFolder.of(root(images), classNames, images);
    }

    private Path root(List<LabeledImage> images) {
        if (split instanceof FileSplit fileSplit && fileSplit.getRootDir() != null) {
            File rootDir = fileSplit.getRootDir();
            return rootDir.toPath();
        }
        if (images.isEmpty()) {
            return Path.of("").toAbsolutePath();
        }
        Path common = images.get(0).path().toAbsolutePath().getParent();
        for (LabeledImage image : images) {
            while (common != null && !image.path().toAbsolutePath().startsWith(common)) {
                common = common.getParent();
            }
        }
        return common == null ? Path.of("/") : common;
    }

    private static Path toPath(URI uri) {
        try {
            return Path.of(uri);
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            throw new CnnkitException("cnnkit reads images from local files only, got the location " + uri, e);
        }
    }

    /** Builds a {@link DataVecImages}: the split is required. */
    public static final class Builder {

        private InputSplit split;
        private PathLabelGenerator labelGenerator = new ParentPathLabelGenerator();
        private PathFilter pathFilter;

        private Builder() {
        }

        /**
         * Sets where the files are, for example {@code new FileSplit(folder)}.
         *
         * @param split the split whose locations are the image files (required)
         * @return this builder
         */
        public Builder setSplit(InputSplit split) {
            this.split = Objects.requireNonNull(split, "split");
            return this;
        }

        /**
         * Sets how a file's class is found; the default, {@link ParentPathLabelGenerator}, names it after the
         * file's folder.
         *
         * @param labelGenerator the generator
         * @return this builder
         */
        public Builder optLabelGenerator(PathLabelGenerator labelGenerator) {
            this.labelGenerator = Objects.requireNonNull(labelGenerator, "labelGenerator");
            return this;
        }

        /**
         * Sets a filter that chooses which image files are used, for example a {@code BalancedPathFilter} with
         * the same label generator; none by default.
         *
         * @param pathFilter the filter
         * @return this builder
         */
        public Builder optPathFilter(PathFilter pathFilter) {
            this.pathFilter = Objects.requireNonNull(pathFilter, "pathFilter");
            return this;
        }

        /**
         * Builds the reader.
         *
         * @return the reader
         * @throws IllegalStateException if no split was set
         */
        public DataVecImages build() {
            if (split == null) {
                throw new IllegalStateException("setSplit is required");
            }
            return new DataVecImages(this);
        }
    }
}
