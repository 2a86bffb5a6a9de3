package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.Objects;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.cnnkit.zoo.weights.WeightsSource;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What the builders of the pretrained extractors ({@link Vgg16Fc2.Builder}, {@link MobileNetV2Pooled.Builder})
 * share: the weights (a given file, the pretrained ones from the cache or a download, or random with a seed), the
 * batch size, the download listener, and the loading of the weights with the checksum that identifies them.
 *
 * @param <B> the concrete builder, which the setters return
 */
abstract class PretrainedExtractorBuilder<B extends PretrainedExtractorBuilder<B>> {

    private Path weights;
    private boolean pretrained = true;
    private long seed = 42;
    private int batchSize;
    private ProgressListener downloadListener = ProgressListener.none();
    private InferenceEngine engine;
    private IdleThreads idleThreads = IdleThreads.SLEEP;

    PretrainedExtractorBuilder(int defaultBatchSize) {
        this.batchSize = defaultBatchSize;
    }

    /**
     * Uses this weights file instead of the cached or downloaded one (the formats each extractor reads are
     * described on it).
     *
     * @param file the weights file
     * @return this builder
     */
    public B optWeights(Path file) {
        this.weights = Objects.requireNonNull(file, "file");
        return self();
    }

    /**
     * Chooses pretrained (true, the default: from the cache or a download) or random weights (false: for tests and
     * benchmarks only). A file given with {@link #optWeights(Path)} is loaded either way.
     *
     * @param pretrained whether to load ImageNet weights
     * @return this builder
     */
    public B optPretrained(boolean pretrained) {
        this.pretrained = pretrained;
        return self();
    }

    /**
     * Sets the seed of random weights (used when no weights are loaded); 42 by default.
     *
     * @param seed the seed
     * @return this builder
     */
    public B optSeed(long seed) {
        this.seed = seed;
        return self();
    }

    /**
     * Sets how many images go through the network at once (the extractor's default otherwise).
     *
     * @param batchSize at least 1
     * @return this builder
     * @throws IllegalArgumentException if the batch size is below 1 (before any weights are loaded)
     */
    public B optBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        return self();
    }

    /**
     * Receives progress of a weights download.
     *
     * @param listener the listener
     * @return this builder
     */
    public B optDownloadListener(ProgressListener listener) {
        this.downloadListener = Objects.requireNonNull(listener, "listener");
        return self();
    }

    /**
     * Chooses the engine that runs the network; {@link InferenceEngine#fastest()} by default.
     *
     * @param engine the engine
     * @return this builder
     * @throws org.cnnkit.core.CnnkitException if the engine is not available (naming the artifact to add)
     */
    public B optEngine(InferenceEngine engine) {
        Objects.requireNonNull(engine, "engine").requireAvailable();
        this.engine = engine;
        return self();
    }

    /**
     * Chooses what the engine's idle threads do ({@link IdleThreads}): {@link IdleThreads#SLEEP} by default, since
     * extraction over files decodes the next batch while the network runs on this one and the search server decodes
     * uploads meanwhile (spinning threads took their cores: docs/performance.md); {@link IdleThreads#SPIN} for an
     * extractor that only runs images already in memory ({@code extractImages}, {@code extract(BufferedImage)}).
     *
     * @param idleThreads spin or sleep
     * @return this builder
     */
    public B optIdleThreads(IdleThreads idleThreads) {
        this.idleThreads = Objects.requireNonNull(idleThreads, "idleThreads");
        return self();
    }

    /** Returns what the engine's idle threads do. */
    IdleThreads idleThreads() {
        return idleThreads;
    }

    /** Returns the engine chosen, or null for the default. */
    InferenceEngine engine() {
        return engine;
    }

    /** Returns the weights file given, or null. */
    Path weights() {
        return weights;
    }

    long seed() {
        return seed;
    }

    int batchSize() {
        return batchSize;
    }

    /**
     * Loads the weights into a network: the given file, or (when pretrained) the source's file from the cache or a
     * download; and returns the checksum that identifies them: the file's, or for random weights the parameters'.
     *
     * @param network the network to fill
     * @param pretrainedSource where the pretrained weights come from when no file is given (asked only then)
     * @param load loads a weights file into the network
     * @return the SHA-256 of the weights file or of the random parameters
     * @throws org.cnnkit.core.CnnkitException if the weights cannot be found, downloaded or loaded
     */
    final String loadWeights(ComputationGraph network, Supplier<WeightsSource> pretrainedSource, Consumer<Path> load) {
        if (weights == null && !pretrained) {
            return GraphFeatureExtractor.parameterChecksum(network);
        }
        PretrainedWeights resolver = PretrainedWeights.builder().optProgressListener(downloadListener).build();
        Path file = weights != null ? resolver.resolve(weights) : resolver.resolve(pretrainedSource.get());
        load.accept(file);
        return GraphFeatureExtractor.fileChecksum(file);
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }
}
