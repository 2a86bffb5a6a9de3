package org.cnnkit.core.data;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@link MnistPngExporter} wrote.
 *
 * @param folder the root of the class-per-folder tree
 * @param images the number of PNG files written
 * @param countsByClass the number of files written into each class folder, by ascending label
 */
public record MnistExportSummary(Path folder, int images, SortedMap<Integer, Integer> countsByClass) {

    /**
     * Validates the summary and keeps an unmodifiable copy of the counts.
     *
     * @param folder the root of the class-per-folder tree
     * @param images the number of PNG files written
     * @param countsByClass the number of files written into each class folder, by ascending label
     * @throws NullPointerException if an argument is null
     */
    public MnistExportSummary {
        Objects.requireNonNull(folder, "folder");
        countsByClass = Collections.unmodifiableSortedMap(new TreeMap<>(countsByClass));
    }
}
