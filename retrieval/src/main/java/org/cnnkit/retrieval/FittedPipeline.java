package org.cnnkit.retrieval;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fitted form of a list of {@link VectorTransform} steps: the parameters each step learned from the
 * collection (means, principal axes, scales), able to transform row vectors and to write itself to an index file.
 */
final class FittedPipeline {

    /** Rows per chunk when the covariance matrix is accumulated, to bound temporary memory. */
    private static final int FIT_CHUNK_ROWS = 8192;

    private final List<Stage> stages;
    private final int inputDimension;
    private final int outputDimension;

    private FittedPipeline(List<Stage> stages, int inputDimension) {
        this.stages = List.copyOf(stages);
        this.inputDimension = inputDimension;
        int dim = inputDimension;
        for (Stage stage : stages) {
            dim = stage.outputDimension(dim);
        }
        this.outputDimension = dim;
    }

    /**
     * Fits the steps one after the other on the given rows: each step is fitted on the output of the previous ones.
     *
     * @param steps the steps, in order
     * @param rows the collection, {@code [n, d]}; not modified
     * @return the fitted pipeline
     */
    static FittedPipeline fit(List<VectorTransform> steps, INDArray rows) {
        int dim = (int) rows.columns();
        List<Stage> stages = new ArrayList<>();
        INDArray current = rows;
        for (VectorTransform step : steps) {
            Stage stage = switch (step.kind()) {
                case L2_NORMALIZE -> new L2Stage();
                case CENTER -> new CenterStage(toFloats(current.mean(0)));
                case PCA -> fitPca(current, step.dimensions(), 0, false);
                case PCA_WHITENED -> fitPca(current, step.dimensions(), 0, true);
                case PCA_VARIANCE -> fitPca(current, Integer.MAX_VALUE, step.varianceFraction(), false);
            };
            stages.add(stage);
            current = stage.apply(current);
        }
        return new FittedPipeline(stages, dim);
    }

    /**
     * Builds a pipeline of steps that learn nothing (only {@link VectorTransform.Kind#L2_NORMALIZE}).
     *
     * @throws IllegalArgumentException if a step needs fitting
     */
    static FittedPipeline stateless(List<VectorTransform> steps, int dimension) {
        List<Stage> stages = new ArrayList<>();
        for (VectorTransform step : steps) {
            if (step.needsFitting()) {
                throw new IllegalArgumentException(step + " needs fitting on data");
            }
            stages.add(new L2Stage());
        }
        return new FittedPipeline(stages, dimension);
    }

    /** Returns whether this pipeline changes nothing. */
    boolean isIdentity() {
        return stages.isEmpty();
    }

    int outputDimension() {
        return outputDimension;
    }

    /**
     * Transforms row vectors.
     *
     * @param rows {@code [m, inputDimension]}; not modified
     * @return a new array {@code [m, outputDimension]} (or {@code rows} itself when the pipeline is empty)
     */
    INDArray apply(INDArray rows) {
        INDArray current = rows;
        for (Stage stage : stages) {
            current = stage.apply(current);
        }
        return current;
    }

    void write(DataOutput out) throws IOException {
        out.writeInt(inputDimension);
        out.writeInt(stages.size());
        for (Stage stage : stages) {
            out.writeUTF(stage.tag());
            stage.write(out);
        }
    }

    /**
     * Reads a pipeline written by {@link #write}, checking sizes against the expected input dimension.
     *
     * @throws IOException on a read failure or inconsistent content (the message names the problem)
     */
    static FittedPipeline read(DataInput in, int expectedInput) throws IOException {
        int input = in.readInt();
        if (input != expectedInput) {
            throw new IOException("transform input dimension " + input + " differs from the index dimension " + expectedInput);
        }
        int count = in.readInt();
        if (count < 0 || count > 64) {
            throw new IOException("implausible transform step count " + count);
        }
        List<Stage> stages = new ArrayList<>();
        int dim = input;
        for (int i = 0; i < count; i++) {
            String tag = in.readUTF();
            Stage stage = switch (tag) {
                case "l2" -> new L2Stage();
                case "center" -> new CenterStage(readFloats(in, dim));
                case "pca" -> PcaStage.read(in, dim);
                default -> throw new IOException("unknown transform step '" + tag + "'");
            };
            stages.add(stage);
            dim = stage.outputDimension(dim);
        }
        return new FittedPipeline(stages, input);
    }

    /**
     * Fits PCA on rows: keeps {@code wanted} components, or (when {@code varianceFraction > 0}) the fewest that
     * explain that share of the variance; always at least 1 and at most {@code min(d, n - 1)}.
     */
    private static PcaStage fitPca(INDArray rows, int wanted, double varianceFraction, boolean whiten) {
        int n = (int) rows.rows();
        int d = (int) rows.columns();
        INDArray mean = rows.mean(0).reshape(1, d).castTo(DataType.DOUBLE);
        INDArray cov = Nd4j.zeros(DataType.DOUBLE, d, d);
        for (int start = 0; start < n; start += FIT_CHUNK_ROWS) {
            int end = Math.min(n, start + FIT_CHUNK_ROWS);
            INDArray chunk = rows.get(NDArrayIndex.interval(start, end), NDArrayIndex.all())
                    .castTo(DataType.DOUBLE).subRowVector(mean);
            Nd4j.gemm(chunk, chunk, cov, true, false, 1.0, 1.0);
        }
        cov.divi(Math.max(1, n - 1));
        // Eigenvalues come back ascending; cov is overwritten by the eigenvectors, one per column.
        INDArray values = Eigen.symmetricGeneralizedEigenvalues(cov, true);
        if (varianceFraction > 0) {
            double total = 0;
            for (int i = 0; i < d; i++) {
                total += Math.max(values.getDouble(i), 0.0);
            }
            double explained = 0;
            wanted = d;
            for (int j = 0; j < d; j++) {
                explained += Math.max(values.getDouble(d - 1 - j), 0.0);
                if (explained >= varianceFraction * total) {
                    wanted = j + 1;
                    break;
                }
            }
        }
        int keep = Math.max(1, Math.min(wanted, Math.min(d, Math.max(1, n - 1))));
        INDArray axes = Nd4j.create(DataType.FLOAT, d, keep);
        float[] scale = new float[keep];
        double largest = Math.max(values.getDouble(d - 1), 0.0);
        for (int j = 0; j < keep; j++) {
            int source = d - 1 - j;
            axes.getColumn(j).assign(cov.getColumn(source).castTo(DataType.FLOAT));
            double variance = Math.max(values.getDouble(source), 0.0);
            scale[j] = whiten ? (float) (1.0 / Math.sqrt(variance + 1e-6 * largest + 1e-12)) : 1f;
        }
        return new PcaStage(toFloats(mean), axes, scale);
    }

    private static float[] toFloats(INDArray array) {
        return array.castTo(DataType.FLOAT).dup().data().asFloat();
    }

    static float[] readFloats(DataInput in, int count) throws IOException {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }

    static void writeFloats(DataOutput out, float[] values) throws IOException {
        for (float value : values) {
            out.writeFloat(value);
        }
    }

    private interface Stage {
        String tag();

        int outputDimension(int inputDimension);

        INDArray apply(INDArray rows);

        void write(DataOutput out) throws IOException;
    }

    private static final class L2Stage implements Stage {
        @Override
        public String tag() {
            return "l2";
        }

        @Override
        public int outputDimension(int inputDimension) {
            return inputDimension;
        }

        @Override
        public INDArray apply(INDArray rows) {
            INDArray norms = rows.norm2(1).reshape(rows.rows(), 1);
            norms.addi(1e-12f);
            return rows.divColumnVector(norms);
        }

        @Override
        public void write(DataOutput out) {
        }
    }

    private static final class CenterStage implements Stage {
        private final float[] mean;
        private final INDArray meanRow;

        CenterStage(float[] mean) {
            this.mean = mean;
            this.meanRow = Nd4j.createFromArray(mean).reshape(1, mean.length);
        }

        @Override
        public String tag() {
            return "center";
        }

        @Override
        public int outputDimension(int inputDimension) {
            return inputDimension;
        }

        @Override
        public INDArray apply(INDArray rows) {
            return rows.subRowVector(meanRow);
        }

        @Override
        public void write(DataOutput out) throws IOException {
            writeFloats(out, mean);
        }
    }

    private static final class PcaStage implements Stage {
        private final float[] mean;
        private final INDArray meanRow;
        private final INDArray axes;
        private final float[] scale;
        private final INDArray scaleRow;

        PcaStage(float[] mean, INDArray axes, float[] scale) {
            this.mean = mean;
            this.meanRow = Nd4j.createFromArray(mean).reshape(1, mean.length);
            this.axes = axes;
            this.scale = scale;
            this.scaleRow = Nd4j.createFromArray(scale).reshape(1, scale.length);
        }

        static PcaStage read(DataInput in, int inputDimension) throws IOException {
            int keep = in.readInt();
            if (keep < 1 || keep > inputDimension) {
                throw new IOException("PCA keeps " + keep + " components of " + inputDimension + " dimensions");
            }
            float[] mean = readFloats(in, inputDimension);
            float[] axes = readFloats(in, inputDimension * keep);
            float[] scale = readFloats(in, keep);
            return new PcaStage(mean, Nd4j.createFromArray(axes).reshape(inputDimension, keep), scale);
        }

        @Override
        public String tag() {
            return "pca";
        }

        @Override
        public int outputDimension(int inputDimension) {
            return scale.length;
        }

        @Override
        public INDArray apply(INDArray rows) {
            return rows.subRowVector(meanRow).mmul(axes).muliRowVector(scaleRow);
        }

        @Override
        public void write(DataOutput out) throws IOException {
            out.writeInt(scale.length);
            writeFloats(out, mean);
            writeFloats(out, axes.dup('c').data().asFloat());
            writeFloats(out, scale);
        }
    }
}
