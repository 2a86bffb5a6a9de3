package org.cnnkit.zoo.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link InferenceEngine#ONNX_RUNTIME} engine: an ONNX Runtime session (CPU) on a cnnkit ONNX model, with as many
 * intra-op threads as cores, all graph optimizations (ONNX Runtime folds batch normalization into convolutions and
 * fuses activations itself) and sequential execution. Batches are fed as NCHW float tensors wrapping the batch's
 * own native memory (no copy when it is a contiguous float array), and ONNX Runtime writes the output straight into
 * the native memory of the returned array (a pinned output: no copy either) when the output's shape is known from
 * the batch size.
 *
 * <p>{@link #open(Path)} opens a model file and refuses one that is damaged or that cnnkit did not export.
 * Thread-safe: ONNX Runtime runs concurrent calls on one session.
 */
public final class OnnxRuntimeSession implements InferenceSession {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String inputName;
    private final String outputName;
    /** The output's shape with the batch dimension (first) to fill in, or null when it has other free dimensions. */
    private final long[] outputShape;
    private final OnnxMetadata metadata;
    private final String source;

    private OnnxRuntimeSession(OrtEnvironment environment, OrtSession session, OnnxMetadata metadata, String source) {
        this.environment = environment;
        this.session = session;
        this.inputName = session.getInputNames().iterator().next();
        this.outputName = session.getOutputNames().iterator().next();
        this.outputShape = fixedOutputShape(session, outputName);
        this.metadata = metadata;
        this.source = source;
    }

    /**
     * Tells whether ONNX Runtime loads here (its classes and native library).
     *
     * @return true when it does
     * @throws LinkageError if its classes or its native library are missing
     */
    public static boolean loads() {
        OrtEnvironment.getEnvironment();
        return true;
    }

    /**
     * Opens a session on an export (written to a temporary file that ONNX Runtime reads, then deleted: the model is
     * never held whole in the Java heap).
     *
     * @param export the exported network
     * @return the session
     * @throws CnnkitException if ONNX Runtime refuses the model or the temporary file cannot be written
     */
    public static OnnxRuntimeSession of(OnnxExport export) {
        Path file = null;
        try {
            file = Files.createTempFile("cnnkit-", ".onnx");
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
                export.writeTo(out);
            }
            return create(file, export.metadata(), export.metadata().modelName());
        } catch (IOException e) {
            throw new CnnkitException("cannot write the ONNX model of " + export.metadata().modelName()
                    + " to a temporary file: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
    }

    /**
     * Opens a session on an ONNX model file that cnnkit exported.
     *
     * @param file the {@code .onnx} file
     * @return the session, with the model's {@link #metadata()}
     * @throws CnnkitException naming the file if it is missing, damaged (not an ONNX model ONNX Runtime reads), or an
     *     ONNX model without cnnkit's metadata
     */
    public static OnnxRuntimeSession open(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new CnnkitException("ONNX model " + file + " does not exist or is not a file");
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session = newSession(environment, file, file.toString());
        OnnxMetadata metadata;
        try {
            metadata = OnnxMetadata.fromProperties(session.getMetadata().getCustomMetadata(), file.toString());
        } catch (OrtException e) {
            closeQuietly(session);
            throw new CnnkitException("cannot read the metadata of ONNX model " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(session);
            throw e;
        }
        if (session.getInputNames().size() != 1 || session.getOutputNames().size() != 1) {
            closeQuietly(session);
            throw new CnnkitException("ONNX model " + file + " has " + session.getInputNames().size() + " inputs and "
                    + session.getOutputNames().size() + " outputs; cnnkit models have one of each");
        }
        return new OnnxRuntimeSession(environment, session, metadata, file.toString());
    }

    private static OnnxRuntimeSession create(Path file, OnnxMetadata metadata, String source) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        return new OnnxRuntimeSession(environment, newSession(environment, file, source), metadata, source);
    }

    private static OrtSession newSession(OrtEnvironment environment, Path file, String source) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return environment.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime cannot load " + source + " (a damaged file, or not an ONNX model): "
                    + e.getMessage(), e);
        }
    }

    /** The output's shape when only its first (batch) dimension is free and it is a float tensor, else null. */
    private static long[] fixedOutputShape(OrtSession session, String outputName) {
        try {
            if (session.getOutputInfo().get(outputName).getInfo() instanceof TensorInfo tensor
                    && tensor.type == OnnxJavaType.FLOAT) {
                long[] shape = tensor.getShape().clone();
                for (int d = 1; d < shape.length; d++) {
                    if (shape[d] < 0) {
                        return null;
                    }
                }
                return shape.length > 0 ? shape : null;
            }
            return null;
        } catch (OrtException e) {
            return null;
        }
    }

    /** Returns the model's cnnkit metadata. */
    public OnnxMetadata metadata() {
        return metadata;
    }

    @Override
    public InferenceEngine engine() {
        return InferenceEngine.ONNX_RUNTIME;
    }

    @Override
    public INDArray output(INDArray images) {
        INDArray input = images.dataType() == DataType.FLOAT && images.ordering() == 'c' && !images.isView()
                ? images : images.castTo(DataType.FLOAT).dup('c');
        long[] shape = input.shape();
        FloatBuffer buffer = input.data().asNioFloat();
        buffer.position(0).limit((int) input.length());
        if (outputShape != null) {
            return pinnedOutput(buffer.slice(), shape);
        }
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, buffer.slice(), shape);
                OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            OnnxTensor output = (OnnxTensor) result.get(0);
            long[] outputShape = output.getInfo().getShape();
            FloatBuffer values = output.getFloatBuffer();
            float[] data = new float[values.remaining()];
            values.get(data);
            return Nd4j.create(data, outputShape, 'c');
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime failed on " + source + " for a batch of shape "
                    + Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    /** Runs the batch with ONNX Runtime writing its output into a new array's native memory. */
    private INDArray pinnedOutput(FloatBuffer input, long[] shape) {
        long[] resultShape = outputShape.clone();
        resultShape[0] = shape[0];
        INDArray result = Nd4j.create(DataType.FLOAT, resultShape, 'c');
        FloatBuffer target = result.data().asNioFloat();
        target.position(0).limit((int) result.length());
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, input, shape);
                OnnxTensor output = OnnxTensor.createTensor(environment, target.slice(), resultShape);
                OrtSession.Result ignored = session.run(Map.of(inputName, tensor), Map.of(outputName, output))) {
            return result;
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime failed on " + source + " for a batch of shape "
                    + Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // closing releases native memory; a failure leaves nothing to do
        }
    }
}
