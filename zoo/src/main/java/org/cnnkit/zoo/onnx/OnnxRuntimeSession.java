package org.cnnkit.zoo.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
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
 * the returned array's native memory (a pinned output: no copy at all). A model whose output shape is not fixed
 * apart from the batch gets its output copied once from ONNX Runtime's memory instead ({@link OutputMemory}).
 *
 * <p>{@link #open(Path)} opens a model file and refuses one that is damaged or that cnnkit did not export.
 * Thread-safe: ONNX Runtime runs concurrent calls on one session. {@link #close()} releases the native session; a
 * session that is no longer referenced is closed when the garbage collector finds it (classifiers and extractors
 * keep theirs for their whole life and do not close them).
 */
public final class OnnxRuntimeSession implements InferenceSession {

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String inputName;
    private final String outputName;
    /** The output's shape for one image (the dimensions after the batch), or null when one of them is not fixed. */
    private final long[] outputShapePerImage;
    private final OnnxMetadata metadata;
    private final String source;
    private final Cleaner.Cleanable closer;

    /** Closes the native sessions of the instances the garbage collector has found unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private OnnxRuntimeSession(OrtEnvironment environment, OrtSession session, OnnxMetadata metadata, String source) {
        this.environment = environment;
        this.session = session;
        this.inputName = session.getInputNames().iterator().next();
        this.outputName = session.getOutputNames().iterator().next();
        this.outputShapePerImage = fixedShapePerImage(session, outputName);
        this.metadata = metadata;
        this.source = source;
        this.closer = CLEANER.register(this, () -> closeQuietly(session));
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
            // Idle intra-op threads sleep instead of spinning: cnnkit decodes the next images on other threads while
            // the network runs (PipelinedBatches, cnnkit serve), and spinning threads took their cores (performance.md)
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            return environment.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime cannot load " + source + " (a damaged file, or not an ONNX model): "
                    + e.getMessage(), e);
        }
    }

    /** {@return the model's cnnkit metadata} */
    public OnnxMetadata metadata() {
        return metadata;
    }

    @Override
    public InferenceEngine engine() {
        return InferenceEngine.ONNX_RUNTIME;
    }

    @Override
    public INDArray output(INDArray images) {
        return run(images, null);
    }

    @Override
    public INDArray output(INDArray images, INDArray into) {
        Objects.requireNonNull(into, "into");
        if (into.dataType() != DataType.FLOAT || into.ordering() != 'c' || into.isView()) {
            throw new CnnkitException("the output array must be a float array in C order, not a view; got "
                    + into.dataType() + " '" + into.ordering() + "'" + (into.isView() ? " view" : ""));
        }
        return run(images, into);
    }

    /** Runs a batch; the output goes into {@code into} (checked to have its shape) or a new array when it is null. */
    private INDArray run(INDArray images, INDArray into) {
        INDArray input = images.dataType() == DataType.FLOAT && images.ordering() == 'c' && !images.isView()
                ? images : images.castTo(DataType.FLOAT).dup('c');
        long[] shape = input.shape();
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, floats(input), shape)) {
            if (outputShapePerImage == null) {
                return runAndCopy(tensor, into);
            }
            long[] outputShape = new long[outputShapePerImage.length + 1];
            outputShape[0] = shape[0];
            System.arraycopy(outputShapePerImage, 0, outputShape, 1, outputShapePerImage.length);
            INDArray array = into != null ? into : Nd4j.createUninitialized(DataType.FLOAT, outputShape, 'c');
            checkShape(array, outputShape);
            try (OnnxTensor output = OnnxTensor.createTensor(environment, floats(array), outputShape);
                    OrtSession.Result result = session.run(Map.of(inputName, tensor), Map.of(outputName, output))) {
                return array;
            }
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime failed on " + source + " for a batch of shape "
                    + Arrays.toString(shape) + ": " + e.getMessage(), e);
        } finally {
            Reference.reachabilityFence(this); // not closed by the cleaner while ONNX Runtime runs
            Reference.reachabilityFence(images); // nor the memory ONNX Runtime reads and writes freed
            Reference.reachabilityFence(input);
            Reference.reachabilityFence(into);
        }
    }

    /** Runs a batch of a model whose output shape is known only afterwards; copies the output from ONNX Runtime. */
    private INDArray runAndCopy(OnnxTensor tensor, INDArray into) throws OrtException {
        try (OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            OnnxTensor output = (OnnxTensor) result.get(0);
            long[] outputShape = output.getInfo().getShape();
            INDArray array = into != null ? into : Nd4j.createUninitialized(DataType.FLOAT, outputShape, 'c');
            checkShape(array, outputShape);
            FloatBuffer target = floats(array);
            target.put(OutputMemory.floats(output));
            return array;
        }
    }

    private void checkShape(INDArray array, long[] outputShape) {
        if (!Arrays.equals(array.shape(), outputShape)) {
            throw new CnnkitException("the output array has shape " + Arrays.toString(array.shape())
                    + "; the output of " + source + " has shape " + Arrays.toString(outputShape));
        }
    }

    /** The native memory of a contiguous float array, from its first element to its last. */
    private static FloatBuffer floats(INDArray array) {
        FloatBuffer buffer = array.data().asNioFloat();
        buffer.position(0).limit((int) array.length());
        return buffer.slice();
    }

    /** The dimensions of an output after the batch, or null when the model leaves one of them free. */
    private static long[] fixedShapePerImage(OrtSession session, String output) {
        try {
            if (!(session.getOutputInfo().get(output).getInfo() instanceof TensorInfo info)
                    || info.type != OnnxJavaType.FLOAT || info.getShape().length < 1) {
                return null;
            }
            long[] perImage = Arrays.copyOfRange(info.getShape(), 1, info.getShape().length);
            return Arrays.stream(perImage).allMatch(d -> d > 0) ? perImage : null;
        } catch (OrtException e) {
            return null;
        }
    }

    @Override
    public void close() {
        closer.clean();
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException e) {
            // closing releases native memory; a failure leaves nothing to do
        }
    }
}
