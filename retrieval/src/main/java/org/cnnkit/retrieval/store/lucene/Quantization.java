package org.cnnkit.retrieval.store.lucene;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.cnnkit.core.CnnkitException;

/**
 * How the HNSW graph scores vectors while it is built and searched: on the float vectors as given, or on Lucene's
 * scalar-quantised copies (one byte or half a byte per value, kept beside the floats). The store always ranks its
 * final candidates by the exact float distance.
 */
enum Quantization {

    /** Float vectors (4 bytes a value). */
    NONE(0),
    /** 7-bit scalar quantisation, one byte a value ({@code Lucene99HnswScalarQuantizedVectorsFormat}, bits 7). */
    INT8(7),
    /** 4-bit scalar quantisation, two values a byte (bits 4, compressed). */
    INT4(4);

    private final int bits;

    Quantization(int bits) {
        this.bits = bits;
    }

    /** Returns the bits per value Lucene quantises to, 0 for none. */
    int bits() {
        return bits;
    }

    /** Returns the name as a store parameter writes it, such as {@code int8}. */
    String parameterName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a parameter value.
     *
     * @param text {@code none}, {@code int8} or {@code int4}
     * @return the quantisation
     * @throws CnnkitException naming the allowed values
     */
    static Quantization parse(String text) {
        for (Quantization q : values()) {
            if (q.parameterName().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return q;
            }
        }
        throw new CnnkitException("store parameter quantization=" + text + " is unknown; it takes "
                + Arrays.stream(values()).map(Quantization::parameterName).collect(Collectors.joining(", ")));
    }
}
