package org.cnnkit.zoo.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@link InferenceEngine#ONNX_RUNTIME} engine: an ONNX Runtime session (CPU) on a cnnkit ONNX model, with as many
 * intra-op threads as cores, all graph optimizations (ONNX Runtime folds batch normalization into convolutions and
 * fuses activations itself), sequential execution, and idle threads that spin or sleep as the session was opened
 * ({@link IdleThreads}; they sleep unless asked to spin). Batches are fed as NCHW float tensors wrapping the batch's
 * own native memory (no copy when it is a contiguous float array), and ONNX Runtime writes the output straight into
 * the returned array's native memory (a pinned output: no copy at all). A model whose output shape is not fixed
 * apart from the batch gets its output copied once from ONNX Runtime's memory instead ({@link OutputMemory}).
 *
 * <p>{@link #run(FloatBuffer, long[], FloatBuffer)} runs batches held in native float buffers without ND4J.
 * {@link #open(Path)} opens a model file and refuses one that is damaged or that cnnkit did not export.
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
    /**
     * Models larger than this (VGG16's 537 MB, not MobileNetV2's 2-9 MB) are opened without ONNX Runtime's prepacked
     * weights and planned activation block, which cost them a few hundred MB of peak memory at random; smaller ones
     * keep both, which measured 2-4% faster on MobileNetV2 (docs/onnx.md).
     */
    static final long LARGE_MODEL_BYTES = 100L * 1024 * 1024;

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
     * Opens a session on an export whose idle threads sleep ({@link IdleThreads#SLEEP}), as
     * {@link #of(OnnxExport, IdleThreads)}.
     *
     * @param export the exported network
     * @return the session
     * @throws CnnkitException if ONNX Runtime refuses the model or the temporary file cannot be written
     */
    public static OnnxRuntimeSession of(OnnxExport export) {
        return of(export, IdleThreads.SLEEP);
    }

    /**
     * Opens a session on an export (written to a temporary file that ONNX Runtime reads, then deleted: the model is
     * never held whole in the Java heap).
     *
     * @param export the exported network
     * @param idleThreads what the session's idle intra-op threads do
     * @return the session
     * @throws CnnkitException if ONNX Runtime refuses the model or the temporary file cannot be written
     */
    public static OnnxRuntimeSession of(OnnxExport export, IdleThreads idleThreads) {
        Objects.requireNonNull(idleThreads, "idleThreads");
        Path file = null;
        try {
            file = Files.createTempFile("cnnkit-", ".onnx");
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
                export.writeTo(out);
            }
            return create(file, export.metadata(), export.metadata().modelName(), idleThreads);
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
     * Opens a session on an ONNX model file that cnnkit exported, its idle threads sleeping
     * ({@link IdleThreads#SLEEP}), as {@link #open(Path, IdleThreads)}.
     *
     * @param file the {@code .onnx} file
     * @return the session, with the model's {@link #metadata()}
     * @throws CnnkitException naming the file if it is missing, damaged (not an ONNX model ONNX Runtime reads), or an
     *     ONNX model without cnnkit's metadata
     */
    public static OnnxRuntimeSession open(Path file) {
        return open(file, IdleThreads.SLEEP);
    }

    /**
     * Opens a session on an ONNX model file that cnnkit exported.
     *
     * @param file the {@code .onnx} file
     * @param idleThreads what the session's idle intra-op threads do
     * @return the session, with the model's {@link #metadata()}
     * @throws CnnkitException naming the file if it is missing, damaged (not an ONNX model ONNX Runtime reads), or an
     *     ONNX model without cnnkit's metadata
     */
    public static OnnxRuntimeSession open(Path file, IdleThreads idleThreads) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(idleThreads, "idleThreads");
        if (!Files.isRegularFile(file)) {
            throw new CnnkitException("ONNX model " + file + " does not exist or is not a file");
        }
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session = newSession(environment, file, file.toString(), idleThreads);
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

    private static OnnxRuntimeSession create(Path file, OnnxMetadata metadata, String source,
            IdleThreads idleThreads) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        return new OnnxRuntimeSession(environment, newSession(environment, file, source, idleThreads), metadata,
                source);
    }

    private static OrtSession newSession(OrtEnvironment environment, Path file, String source,
            IdleThreads idleThreads) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // Spinning idle threads take the cores that cnnkit's pipelines decode the next images on; sleeping ones
            // cost a network that runs alone its speed (IdleThreads, docs/performance.md)
            options.addConfigEntry("session.intra_op.allow_spinning", idleThreads == IdleThreads.SPIN ? "1" : "0");
            if (Files.size(file) > LARGE_MODEL_BYTES) {
                // Neither a prepacked copy of the matrix-product weights nor a planned block for the activations
                // beside the arena's: on VGG16 (batch 16) they added a few hundred MB to the peak from one run to the
                // next (1.12-1.53 GB); both off held it at 1.06-1.09 GB at the same CPU per image (docs/onnx.md)
                options.addConfigEntry("session.disable_prepacking", "1");
                options.setMemoryPatternOptimization(false);
            }
            return environment.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new CnnkitException("ONNX Runtime cannot load " + source + " (a damaged file, or not an ONNX model): "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new CnnkitException("cannot read ONNX model " + source + ": " + e.getMessage(), e);
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
            long[] outputShape = outputShape(shape[0]);
            INDArray array = into != null ? into : Nd4j.createUninitialized(DataType.FLOAT, outputShape, 'c');
            checkShape(array, outputShape);
            runPinned(tensor, floats(array), outputShape);
            return array;
        } catch (OrtException e) {
            throw failure(shape, e);
        } finally {
            Reference.reachabilityFence(this); // not closed by the cleaner while ONNX Runtime runs
            Reference.reachabilityFence(images); // nor the memory ONNX Runtime reads and writes freed
            Reference.reachabilityFence(input);
            Reference.reachabilityFence(into);
        }
    }

    /**
     * Runs a batch held in native float memory, without ND4J: a program that prepares its batches as float buffers
     * (a service running an exported model) never loads ND4J's native runtime, which costs a process tens of MiB
     * (docs/onnx.md). ONNX Runtime reads {@code images} in place and writes the output straight into {@code into}.
     *
     * @param images the batch, {@code shape} NCHW floats from the buffer's position to its limit; a direct buffer in
     *     native order is read in place, any other is copied first
     * @param shape {@code [n, channels, height, width]}
     * @param into a direct buffer in native order with exactly the output's size from its position to its limit
     *     ({@link #outputShape(long)} of {@code n}); its position and limit are left as they were
     * @throws CnnkitException if {@code images} does not hold {@code shape}'s size, {@code into} is not a direct
     *     native-order buffer of the output's size, or ONNX Runtime fails
     */
    public void run(FloatBuffer images, long[] shape, FloatBuffer into) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(into, "into");
        long size = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (shape.length != 4 || images.remaining() != size) {
            throw new CnnkitException("the batch buffer holds " + images.remaining() + " floats; shape "
                    + Arrays.toString(shape) + " is not [n, channels, height, width] of that size");
        }
        long[] outputShape = outputShape(shape[0]);
        long outputSize = Arrays.stream(outputShape).reduce(1, Math::multiplyExact);
        if (!into.isDirect() || into.order() != java.nio.ByteOrder.nativeOrder() || into.remaining() != outputSize) {
            throw new CnnkitException("the output buffer must be a direct buffer in native order holding "
                    + outputSize + " floats (shape " + Arrays.toString(outputShape) + "); got "
                    + (into.isDirect() ? "a direct" : "a heap") + " buffer of " + into.remaining());
        }
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, images.slice(), shape)) {
            runPinned(tensor, into.slice(), outputShape);
        } catch (OrtException e) {
            throw failure(shape, e);
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(images);
            Reference.reachabilityFence(into);
        }
    }

    /**
     * Returns the output's shape for a batch of {@code n} images.
     *
     * @param n the batch size
     * @return {@code [n, ...]}, the model's output dimensions after the batch
     * @throws CnnkitException if the model does not fix its output's dimensions after the batch (cnnkit's exports
     *     always do)
     */
    public long[] outputShape(long n) {
        if (outputShapePerImage == null) {
            throw new CnnkitException("the output of " + source + " has dimensions that the model does not fix");
        }
        long[] outputShape = new long[outputShapePerImage.length + 1];
        outputShape[0] = n;
        System.arraycopy(outputShapePerImage, 0, outputShape, 1, outputShapePerImage.length);
        return outputShape;
    }

    /** Runs a batch with its output bound to {@code output}, memory of the output's shape (a pinned output). */
    private void runPinned(OnnxTensor tensor, FloatBuffer output, long[] outputShape) throws OrtException {
        try (OnnxTensor pinned = OnnxTensor.createTensor(environment, output, outputShape);
                OrtSession.Result result = session.run(Map.of(inputName, tensor), Map.of(outputName, pinned))) {
            // the output is in place
        }
    }

    private CnnkitException failure(long[] shape, OrtException e) {
        return new CnnkitException("ONNX Runtime failed on " + source + " for a batch of shape "
                + Arrays.toString(shape) + ": " + e.getMessage(), e);
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
