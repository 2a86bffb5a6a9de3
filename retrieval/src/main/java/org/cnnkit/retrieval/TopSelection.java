package org.cnnkit.retrieval;

/**
 * The {@code capacity} lowest (score, row) pairs offered so far, kept sorted, lowest first; equal scores rank by row,
 * so the outcome does not depend on the order of the offers (blocks scanned by several threads give the same set).
 * Not thread-safe: one per query and per scanning thread.
 */
final class TopSelection {
    private final float[] scores;
    private final int[] rows;
    private int count;

    TopSelection(int capacity) {
        scores = new float[capacity];
        rows = new int[capacity];
    }

    /** Offers {@code values[offset + j] (+ bias[firstRow + j] when bias is not null)} for row {@code firstRow + j}. */
    void offer(float[] values, int offset, int length, int firstRow, float[] bias) {
        float worst = worst();
        for (int j = 0; j < length; j++) {
            float value = bias == null ? values[offset + j] : values[offset + j] + bias[firstRow + j];
            if (value <= worst || count < scores.length) {
                worst = insert(value, firstRow + j);
            }
        }
    }

    /** Offers every candidate that {@code other} holds. */
    void merge(TopSelection other) {
        float worst = worst();
        for (int c = 0; c < other.count; c++) {
            if (other.scores[c] <= worst || count < scores.length) {
                worst = insert(other.scores[c], other.rows[c]);
            }
        }
    }

    int count() {
        return count;
    }

    int[] rows() {
        return rows;
    }

    private static boolean precedes(float value, int row, float otherValue, int otherRow) {
        return value < otherValue || (value == otherValue && row < otherRow);
    }

    private float worst() {
        return count == scores.length ? scores[count - 1] : Float.POSITIVE_INFINITY;
    }

    /** Inserts in order, dropping the worst when full (unless the new pair is worse); returns the admission bound. */
    private float insert(float value, int row) {
        int capacity = scores.length;
        if (count == capacity && !precedes(value, row, scores[count - 1], rows[count - 1])) {
            return worst();
        }
        int position = count == capacity ? count - 1 : count++;
        while (position > 0 && precedes(value, row, scores[position - 1], rows[position - 1])) {
            scores[position] = scores[position - 1];
            rows[position] = rows[position - 1];
            position--;
        }
        scores[position] = value;
        rows[position] = row;
        return worst();
    }
}
