package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.PipelinedBatches;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceSession;
import org.cnnkit.zoo.ReusedOutput;
import org.cnnkit.zoo.onnx.OnnxExport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link FeatureExtractor} that runs a DL4J {@link ComputationGraph} on batches of images and turns its
 * output into one vector per image. Files are decoded one batch at a time by a {@link BatchDecoder} (a few worker
 * threads, straight into the batch array), the next batch while the network runs on the current one
 * ({@link PipelinedBatches}: at most two batches of decoded images in memory). The network runs on an
 * {@link InferenceEngine} ({@link InferenceEngine#fastest()} unless the builder chose one): ONNX Runtime on the
 * exported network, or DL4J's compiled plans split between one replica per core.
 */
abstract class GraphFeatureExtractor implements FeatureExtractor {

    private final ComputationGraph network;
    private final InferenceSession session;
    private final ExtractorIdentity identity;
    private final String name;
    private final int batchSize;
    private final BatchDecoder batchDecoder;
    private final ImageDecoder decoder = new ImageDecoder();

    GraphFeatureExtractor(String name, ComputationGraph network, ExtractorIdentity identity, int batchSize) {
        this(name, network, identity, batchSize, null, IdleThreads.SLEEP);
    }

    /**
     * As the other constructor, on {@code engine} (null: {@link InferenceEngine#openFastest}), with the session's idle
     * threads doing {@code idleThreads}.
     */
    GraphFeatureExtractor(String name, ComputationGraph network, ExtractorIdentity identity, int batchSize,
            InferenceEngine engine, IdleThreads idleThreads) {
        this.name = Objects.requireNonNull(name, "name");
        this.network = Objects.requireNonNull(network, "network");
        this.identity = Objects.requireNonNull(identity, "identity");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.session = engine != null
                ? engine.open(network, identity.inputShape(), identity.preprocessing(), idleThreads)
                : InferenceEngine.openFastest(network, identity.inputShape(), identity.preprocessing(), idleThreads);
        this.batchSize = batchSize;
        this.batchDecoder = BatchDecoder.of(decoder, identity.inputShape(), identity.preprocessing());
    }

    /**
     * Turns the network's output for a batch into {@code [n, dimension]} features: the output itself, since the
     * extractors' networks end with their feature layer (pooling included); a test extractor may look at it.
     */
    INDArray toFeatures(INDArray output) {
        return output;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ExtractorIdentity identity() {
        return identity;
    }

    @Override
    public InferenceEngine engine() {
        return session.engine();
    }

    /**
     * Exports the network this extractor runs to ONNX, with its input shape, preprocessing and name in the metadata.
     *
     * @return the export, ready to write
     */
    OnnxExport toOnnx() {
        return OnnxExport.builder().setNetwork(network).setInputShape(identity.inputShape())
                .setPreprocessing(identity.preprocessing()).optModelName(name).build();
    }

    /** Returns the network this extractor runs. */
    ComputationGraph network() {
        return network;
    }

    @Override
    public float[][] extract(List<Path> files, ProgressListener listener) {
        ExtractionResult result = run(files, listener, true);
        return result.vectors();
    }

    @Override
    public ExtractionResult extractReadable(List<Path> files, ProgressListener listener) {
        return run(files, listener, false);
    }

    @Override
    public float[] extract(BufferedImage image) {
        InputShape shape = identity.inputShape();
        float[] pixels = decoder.decode(Objects.requireNonNull(image, "image"), shape);
        identity.preprocessing().applyInPlace(pixels, shape.channels());
        return forward(Nd4j.create(pixels, new long[] {1, shape.channels(), shape.height(), shape.width()}, 'c'),
                new ReusedOutput(session))[0];
    }

    /** Resizes and preprocesses the images into batches of the extractor's batch size, each run as one batch. */
    @Override
    public float[][] extractImages(List<BufferedImage> images) {
        Objects.requireNonNull(images, "images");
        InputShape shape = identity.inputShape();
        float[][] vectors = new float[images.size()][];
        ReusedOutput outputs = new ReusedOutput(session);
        for (int start = 0; start < images.size(); start += batchSize) {
            int count = Math.min(batchSize, images.size() - start);
            INDArray batch = Nd4j.createUninitializedDetached(DataType.FLOAT, count, shape.channels(), shape.height(),
                    shape.width());
            FloatBuffer target = batch.data().asNioFloat();
            for (int i = start; i < start + count; i++) {
                float[] pixels = decoder.decode(Objects.requireNonNull(images.get(i), "image " + i), shape);
                identity.preprocessing().applyInPlace(pixels, shape.channels());
                target.put(pixels);
            }
            System.arraycopy(forward(batch, outputs), 0, vectors, start, count);
        }
        return vectors;
    }

    /** Decodes in batches of the extractor's batch size, the next batch while the network runs on this one. */
    @Override
    public ExtractionResult extractEncoded(List<EncodedImage> images) {
        Objects.requireNonNull(images, "images");
        return run(images, ProgressListener.none(), batchDecoder::decodeEncoded);
    }

    /** Decodes, resizes and preprocesses the image to the network's input, on the calling thread. */
    @Override
    public PreparedImage prepare(EncodedImage image) {
        Objects.requireNonNull(image, "image");
        InputShape shape = identity.inputShape();
        float[] pixels = decoder.decode(decoder.read(image.name(), image.content()), shape);
        identity.preprocessing().applyInPlace(pixels, shape.channels());
        return PreparedImage.pixels(image.name(), pixels, identity);
    }

    /**
     * Runs the network on prepared images, up to the extractor's batch size per call, each batch written straight
     * into one off-heap array; images still encoded are decoded first (those that cannot be are skipped).
     */
    @Override
    public ExtractionResult extractPrepared(List<PreparedImage> images) {
        Objects.requireNonNull(images, "images");
        InputShape shape = identity.inputShape();
        List<Path> read = new ArrayList<>(images.size());
        List<float[]> inputs = new ArrayList<>(images.size());
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        for (PreparedImage image : images) {
            float[] pixels = image.pixels();
            if (pixels == null) {
                try {
                    pixels = prepare(image.encodedImage()).pixels();
                } catch (CnnkitException e) {
                    skipped.add(new ExtractionResult.SkippedFile(image.name(), e.getMessage()));
                    continue;
                }
            } else if (!identity.equals(image.preparedFor())) {
                throw new IllegalArgumentException(name + " cannot extract " + image.name()
                        + ": it was prepared for another extractor (" + image.preparedFor().model() + ")");
            }
            inputs.add(pixels);
            read.add(image.name());
        }
        List<float[]> vectors = new ArrayList<>(inputs.size());
        ReusedOutput outputs = new ReusedOutput(session);
        for (int start = 0; start < inputs.size(); start += batchSize) {
            int end = Math.min(inputs.size(), start + batchSize);
            INDArray batch = Nd4j.createUninitializedDetached(DataType.FLOAT, end - start, shape.channels(),
                    shape.height(), shape.width());
            FloatBuffer target = batch.data().asNioFloat();
            for (float[] pixels : inputs.subList(start, end)) {
                target.put(pixels);
            }
            vectors.addAll(List.of(forward(batch, outputs)));
        }
        return new ExtractionResult(read, vectors.toArray(new float[0][]), skipped);
    }

    private ExtractionResult run(List<Path> files, ProgressListener listener, boolean failOnUnreadable) {
        Objects.requireNonNull(files, "files");
        return run(files, listener, batch -> batchDecoder.decode(batch, !failOnUnreadable));
    }

    private <T> ExtractionResult run(List<T> items, ProgressListener listener,
                                     java.util.function.Function<List<T>, BatchDecoder.Batch> decode) {
        ProgressTracker tracker = ProgressTracker.start("extracting " + name + " features", items.size(),
                listener == null ? ProgressListener.none() : listener);
        List<Path> read = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        List<List<T>> batches = new ArrayList<>();
        for (int start = 0; start < items.size(); start += batchSize) {
            batches.add(items.subList(start, Math.min(items.size(), start + batchSize)));
        }
        ReusedOutput outputs = new ReusedOutput(session);
        PipelinedBatches.run(batches, decode, decoded -> {
            for (BatchDecoder.Unreadable unreadable : decoded.skipped()) {
                skipped.add(new ExtractionResult.SkippedFile(unreadable.file(), unreadable.reason()));
            }
            if (!decoded.files().isEmpty()) {
                vectors.addAll(List.of(forward(decoded.images(), outputs)));
                read.addAll(decoded.files());
            }
            tracker.advance(decoded.files().size() + decoded.skipped().size());
        });
        tracker.finish();
        return new ExtractionResult(read, vectors.toArray(new float[0][]), skipped);
    }

    /** Runs a batch; its output goes into the pass's reused array, read into Java arrays before the next batch. */
    private float[][] forward(INDArray images, ReusedOutput outputs) {
        long rows = images.size(0);
        INDArray features = toFeatures(outputs.output(images)).castTo(DataType.FLOAT);
        if (features.rows() != rows || features.columns() != identity.dimension()) {
            throw new CnnkitException(name + " produced features of shape "
                    + java.util.Arrays.toString(features.shape()) + ", expected [" + rows + ", " + identity.dimension()
                    + "]");
        }
        return features.toFloatMatrix();
    }

    /** Returns the SHA-256 (hex) of a file, the weights checksum of networks read from a file. */
    static String fileChecksum(Path file) {
        try (var in = java.nio.file.Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.io.IOException e) {
            throw new CnnkitException("cannot read weights file " + file + " to checksum it: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /** Returns the SHA-256 (hex) of a network's parameters, the weights checksum of networks not read from a file. */
    static String parameterChecksum(ComputationGraph network) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            INDArray params = network.params().reshape(network.params().length());
            long length = params.length();
            int block = 1 << 20;
            for (long start = 0; start < length; start += block) {
                int count = (int) Math.min(block, length - start);
                float[] values = params.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + count))
                        .toFloatVector();
                ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES);
                bytes.asFloatBuffer().put(values);
                digest.update(bytes.array());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }
}
