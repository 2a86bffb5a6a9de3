package org.cnnkit.core.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable set of labelled grayscale digits, as read from an MNIST IDX pair by {@link Mnist}.
 *
 * <p>All images share one size ({@link #rows()} x {@link #cols()}). Pixels are unsigned 8-bit values (0 = background,
 * 255 = ink), stored row-major, one image after another. Every digit remembers its position in the file it came from
 * ({@link #sourceIndex(int)}), so that a filtered subset can still be traced back to the original data.
 *
 * <p>This is a class rather than a record so that its arrays stay private: accessors return copies or single values.
 */
public final class MnistDigits {

    private final int rows;
    private final int cols;
    private final byte[] pixels;
    private final int[] labels;
    private final int[] sourceIndices;

    private MnistDigits(int rows, int cols, byte[] pixels, int[] labels, int[] sourceIndices) {
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
        this.labels = labels;
        this.sourceIndices = sourceIndices;
    }

    /**
     * Creates a digit set from copies of the given arrays; digit {@code i} has source index {@code i}.
     *
     * @param rows image height in pixels, at least 1
     * @param cols image width in pixels, at least 1
     * @param pixels unsigned 8-bit pixels, {@code labels.length * rows * cols} of them, row-major, image after image
     * @param labels the class of each image, each in 0..255
     * @return the digit set
     * @throws NullPointerException if an array is null
     * @throws IllegalArgumentException if a size is not positive, the pixel count does not match, or a label is
     *     outside 0..255
     */
    public static MnistDigits of(int rows, int cols, byte[] pixels, int[] labels) {
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("image size must be positive: " + rows + "x" + cols);
        }
        long expected = (long) labels.length * rows * cols;
        if (pixels.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " pixels for " + labels.length + " images of "
                    + rows + "x" + cols + " but got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0..255");
            }
        }
        int[] sources = new int[labels.length];
        Arrays.setAll(sources, i -> i);
        return new MnistDigits(rows, cols, pixels.clone(), labels.clone(), sources);
    }

    /** Wraps arrays the caller hands over and never touches again (used by the reader to avoid a copy). */
    static MnistDigits wrap(int rows, int cols, byte[] pixels, int[] labels) {
        int[] sources = new int[labels.length];
        Arrays.setAll(sources, i -> i);
        return new MnistDigits(rows, cols, pixels, labels, sources);
    }

    /** {@return the number of images} */
    public int size() {
        return labels.length;
    }

    /** {@return the image height in pixels} */
    public int rows() {
        return rows;
    }

    /** {@return the image width in pixels} */
    public int cols() {
        return cols;
    }

    /**
     * Returns the class of one image.
     *
     * @param index image position in this set, 0 to {@link #size()} - 1
     * @return the label, 0..255 (0..9 for MNIST)
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public int label(int index) {
        return labels[Objects.checkIndex(index, labels.length)];
    }

    /**
     * Returns the position that an image had in the IDX files it was read from (before any filtering).
     *
     * @param index image position in this set
     * @return the position in the source files
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public int sourceIndex(int index) {
        return sourceIndices[Objects.checkIndex(index, labels.length)];
    }

    /**
     * Returns one pixel value.
     *
     * @param index image position in this set
     * @param row pixel row, 0 to {@link #rows()} - 1
     * @param col pixel column, 0 to {@link #cols()} - 1
     * @return the pixel intensity, 0..255
     * @throws IndexOutOfBoundsException if a coordinate is out of range
     */
    public int pixel(int index, int row, int col) {
        Objects.checkIndex(index, labels.length);
        Objects.checkIndex(row, rows);
        Objects.checkIndex(col, cols);
        return pixels[(index * rows + row) * cols + col] & 0xFF;
    }

    /**
     * Returns a copy of one image's pixels, row-major, as unsigned bytes (read with {@code b & 0xFF}).
     *
     * @param index image position in this set
     * @return {@code rows * cols} bytes
     * @throws IndexOutOfBoundsException if {@code index} is out of range
     */
    public byte[] image(int index) {
        Objects.checkIndex(index, labels.length);
        int length = rows * cols;
        return Arrays.copyOfRange(pixels, index * length, (index + 1) * length);
    }

    /** {@return a copy of all labels, in order} */
    public int[] labels() {
        return labels.clone();
    }

    /** {@return the distinct labels present, ascending} */
    public SortedSet<Integer> classes() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(countsByClass().keySet()));
    }

    /** {@return the number of images of each label present, by ascending label} */
    public SortedMap<Integer, Integer> countsByClass() {
        SortedMap<Integer, Integer> counts = new TreeMap<>();
        for (int label : labels) {
            counts.merge(label, 1, Integer::sum);
        }
        return Collections.unmodifiableSortedMap(counts);
    }

    /**
     * Keeps only the images whose label is one of the given classes, in their original order.
     *
     * @param classes the labels to keep; labels absent from this set are allowed and simply match nothing
     * @return the subset (possibly empty)
     * @throws NullPointerException if {@code classes} is null
     * @throws IllegalArgumentException if {@code classes} is empty
     */
    public MnistDigits onlyClasses(Collection<Integer> classes) {
        Objects.requireNonNull(classes, "classes");
        if (classes.isEmpty()) {
            throw new IllegalArgumentException("at least one class must be given");
        }
        boolean[] keep = new boolean[256];
        for (Integer c : classes) {
            if (c != null && c >= 0 && c <= 255) {
                keep[c] = true;
            }
        }
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (keep[labels[i]]) {
                chosen.add(i);
            }
        }
        return subset(chosen);
    }

    /**
     * Keeps at most {@code limit} images in all, balanced over the labels present, deterministically.
     *
     * <p>Each label gets an equal share of the limit (the remainder goes to the smallest labels); a label with fewer
     * images than its share keeps them all and the rest of its share goes to the other labels. Within a label the
     * images that come first in the source are kept. The result keeps the original order.
     *
     * @param limit the largest number of images to keep, at least 1
     * @return the subset; this set itself when it already holds at most {@code limit} images
     * @throws IllegalArgumentException if {@code limit} is below 1
     */
    public MnistDigits balancedLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
        if (labels.length <= limit) {
            return this;
        }
        SortedMap<Integer, Integer> available = countsByClass();
        Map<Integer, Integer> quota = new TreeMap<>();
        available.keySet().forEach(c -> quota.put(c, 0));
        int left = limit;
        // Hand out the limit one round at a time to the labels that still have images: fair and deterministic.
        while (left > 0) {
            List<Integer> open = new ArrayList<>();
            for (Map.Entry<Integer, Integer> e : available.entrySet()) {
                if (quota.get(e.getKey()) < e.getValue()) {
                    open.add(e.getKey());
                }
            }
            int share = Math.max(1, left / open.size());
            for (int c : open) {
                if (left == 0) {
                    break;
                }
                int give = Math.min(Math.min(share, left), available.get(c) - quota.get(c));
                quota.put(c, quota.get(c) + give);
                left -= give;
            }
        }
        Map<Integer, Integer> taken = new TreeMap<>();
        List<Integer> chosen = new ArrayList<>(limit);
        for (int i = 0; i < labels.length; i++) {
            int c = labels[i];
            int already = taken.getOrDefault(c, 0);
            if (already < quota.get(c)) {
                taken.put(c, already + 1);
                chosen.add(i);
            }
        }
        return subset(chosen);
    }

    private MnistDigits subset(List<Integer> chosen) {
        int length = rows * cols;
        byte[] newPixels = new byte[chosen.size() * length];
        int[] newLabels = new int[chosen.size()];
        int[] newSources = new int[chosen.size()];
        for (int k = 0; k < chosen.size(); k++) {
            int i = chosen.get(k);
            System.arraycopy(pixels, i * length, newPixels, k * length, length);
            newLabels[k] = labels[i];
            newSources[k] = sourceIndices[i];
        }
        return new MnistDigits(rows, cols, newPixels, newLabels, newSources);
    }

    /** Returns a short description: count, size and counts by class. */
    @Override
    public String toString() {
        return "MnistDigits[" + size() + " images of " + rows + "x" + cols + ", by class " + countsByClass() + "]";
    }
}
