package org.cnnkit.retrieval;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A fitted chain of {@link VectorTransform} steps (L2 normalisation, centering, PCA): what every vector store applies
 * to the vectors it stores and to every query, so that a query goes through the same pipeline as the collection.
 * Stores persist it with {@link #toBytes()} beside their vectors (the {@code .cfi} header, Lucene's commit data, a
 * metadata table in PostgreSQL) and read it back with {@link #fromBytes(byte[], int)}.
 *
 * <p>Immutable and safe for many threads.
 */
public final class SearchPipeline {

    private final FittedPipeline fitted;

    private SearchPipeline(FittedPipeline fitted) {
        this.fitted = fitted;
    }

    /** Wraps a fitted pipeline of this package. */
    static SearchPipeline of(FittedPipeline fitted) {
        return new SearchPipeline(Objects.requireNonNull(fitted, "fitted"));
    }

    /**
     * Fits the steps on sample vectors, each step on the output of the previous ones.
     *
     * @param steps the steps, in order (may be empty)
     * @param sample {@code n >= 1} vectors of one dimension, all finite; not modified
     * @return the fitted pipeline
     * @throws CnnkitException if the sample is empty or ragged, or a step needs more vectors than given
     */
    public static SearchPipeline fit(List<VectorTransform> steps, float[][] sample) {
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(sample, "sample");
        if (sample.length == 0) {
            throw new CnnkitException("cannot fit the transforms " + steps + " on no vectors");
        }
        int dimension = sample[0].length;
        for (int i = 0; i < sample.length; i++) {
            if (sample[i].length != dimension) {
                throw new CnnkitException("sample vector " + i + " has " + sample[i].length
                        + " values, the first has " + dimension);
            }
        }
        boolean learns = steps.stream().anyMatch(VectorTransform::needsFitting);
        if (!learns) {
            return new SearchPipeline(FittedPipeline.stateless(steps, dimension));
        }
        return new SearchPipeline(FittedPipeline.fit(steps, Nd4j.create(sample).castTo(DataType.FLOAT)));
    }

    /**
     * Builds the pipeline of steps that learn nothing from data (only L2 normalisation, or none).
     *
     * @param steps the steps
     * @param dimension the input dimension
     * @return the pipeline
     * @throws IllegalArgumentException if a step needs fitting
     */
    public static SearchPipeline stateless(List<VectorTransform> steps, int dimension) {
        return new SearchPipeline(FittedPipeline.stateless(steps, dimension));
    }

    /**
     * Reads a pipeline written by {@link #toBytes()}.
     *
     * @param bytes the serialised pipeline
     * @param inputDimension the dimension of the vectors it takes, checked against the stored one
     * @return the pipeline
     * @throws CnnkitException if the bytes are damaged or were written for another input dimension
     */
    public static SearchPipeline fromBytes(byte[] bytes, int inputDimension) {
        try {
            return new SearchPipeline(FittedPipeline.read(
                    new DataInputStream(new ByteArrayInputStream(bytes)), inputDimension));
        } catch (IOException e) {
            throw new CnnkitException("the stored search pipeline cannot be read: " + e.getMessage(), e);
        }
    }

    /** Returns the serialised pipeline, for {@link #fromBytes(byte[], int)}. */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            fitted.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Returns the dimension of the vectors this pipeline produces. */
    public int outputDimension() {
        return fitted.outputDimension();
    }

    /** Returns whether the pipeline changes nothing. */
    public boolean isIdentity() {
        return fitted.isIdentity();
    }

    /**
     * Transforms vectors.
     *
     * @param vectors {@code [n, inputDimension]}; not modified
     * @return new vectors {@code [n, outputDimension()]}
     */
    public float[][] apply(float[][] vectors) {
        if (vectors.length == 0) {
            return new float[0][];
        }
        return apply(Nd4j.create(vectors).castTo(DataType.FLOAT)).toFloatMatrix();
    }

    /**
     * Transforms row vectors.
     *
     * @param rows {@code [n, inputDimension]} float values; not modified
     * @return a new array {@code [n, outputDimension()]} (or {@code rows} itself when the pipeline is the identity)
     */
    public INDArray apply(INDArray rows) {
        return fitted.apply(rows);
    }
}
