package org.cnnkit.examples.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeWorkers;
import org.cnnkit.core.runtime.ParallelInference;
import org.cnnkit.core.training.CompiledTrainingStep;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceFolding;
import org.cnnkit.zoo.InferenceSession;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.MobileNetV2FineTuning;
import org.cnnkit.zoo.onnx.OnnxRuntimeSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The network workloads, step for step as the PyTorch peer runs them: same shapes, batch sizes, warm-up and timed
 * iterations, random inputs and weights. Inference goes through an {@link InferenceSession} on the chosen engine
 * (the fastest available by default), the path cnnkit's classifiers and feature extractors use; the lines of the
 * inference workloads say which engine ran under the key {@code engine}.
 */
final class NetworkWorkloads {

    private static final int BATCH = 32;
    private static final int CLASSES = 3;

    private NetworkWorkloads() {
    }

    /**
     * {@code cnn-train-100}: Adam steps of the notebook CNN on 4 rotating random batches of 32 at 100x100, through the
     * compiled training step as {@code ClassifierTrainer} trains (DL4J's {@code fit} when the fast paths are off); the
     * key {@code compiled_step} says which ran.
     */
    static BenchResult cnnTrain(String peer) {
        ComputationGraph net = BenchNetworks.seedCnn(100, CLASSES);
        DataSet[] batches = new DataSet[4];
        Random random = new Random(0);
        for (int i = 0; i < batches.length; i++) {
            batches[i] = new DataSet(Nd4j.rand(DataType.FLOAT, BATCH, 3, 100, 100), oneHot(random, BATCH, CLASSES));
        }
        int[] step = {0};
        Optional<CompiledTrainingStep> compiled = CompiledTrainingStep.of(net);
        double seconds = Timing.secondsPerStep(() -> {
            DataSet batch = batches[step[0]++ % batches.length];
            if (compiled.isPresent()) {
                compiled.get().fit(batch);
            } else {
                net.fit(batch);
            }
        }, 3, 30);
        return result("cnn-train-100", BATCH / seconds, peer, Map.of("batch", BATCH, "compiled_step",
                compiled.isPresent()));
    }

    /** {@code cnn-infer-100}: inference of the notebook CNN on a batch of 32 at 100x100. */
    static BenchResult cnnInfer(String peer, InferenceEngine engine) {
        return infer("cnn-infer-100", BenchNetworks.network("cnn-100"), BATCH, 3, 30, peer, engine);
    }

    /**
     * {@code mnv2-a<alpha>-infer-<size>}: MobileNetV2 features (no head) on a batch of 32, batch normalization folded
     * as cnnkit's MobileNetV2 feature extractor does ({@link InferenceFolding}); the ONNX Runtime peer's warm-up and
     * timed iterations.
     */
    static BenchResult mobileNetV2Infer(String name, double alpha, int size, String peer, InferenceEngine engine) {
        int iterations = size == 100 ? (alpha < 1 ? 30 : 10) : (alpha < 1 ? 10 : 5);
        return infer(name, BenchNetworks.network("mnv2-folded-" + alpha + "-" + size), BATCH,
                size == 100 && alpha < 1 ? 3 : 2, iterations, peer, engine);
    }

    /**
     * Times inference of one batch of random images, after one run that sizes the output and {@code warmup} more.
     * On ONNX Runtime the batch and the output are native float buffers run through
     * {@link OnnxRuntimeSession#run(FloatBuffer, long[], FloatBuffer)}, as a service running an exported model
     * would: the process never loads ND4J, as the peer's does not. The session's idle threads spin
     * ({@link IdleThreads#SPIN}): the network runs alone here. On DL4J the batch is an ND4J array, the output written
     * into one reused array.
     */
    private static BenchResult infer(String name, BenchNetworks.BenchNetwork network, int batch, int warmup,
            int iterations, String peer, InferenceEngine engine) {
        InferenceEngine chosen = engine != null ? engine : InferenceEngine.fastest();
        InputShape shape = network.shape();
        long[] inputShape = {batch, shape.channels(), shape.height(), shape.width()};
        double seconds;
        if (chosen == InferenceEngine.ONNX_RUNTIME) {
            try (OnnxRuntimeSession net = BenchNetworks.onnxSession(network, IdleThreads.SPIN)) {
                FloatBuffer x = randomFloats(batch * shape.channels() * shape.height() * shape.width());
                FloatBuffer out = nativeFloats(Math.toIntExact(
                        Arrays.stream(net.outputShape(batch)).reduce(1, Math::multiplyExact)));
                net.run(x, inputShape, out);
                seconds = Timing.secondsPerStep(() -> net.run(x, inputShape, out), warmup, iterations);
            }
        } else {
            try (InferenceSession net = BenchNetworks.session(network, chosen)) {
                INDArray x = Nd4j.rand(DataType.FLOAT, inputShape);
                INDArray out = net.output(x);
                seconds = Timing.secondsPerStep(() -> net.output(x, out), warmup, iterations);
            }
        }
        return result(name, batch / seconds, peer, Map.of("batch", batch, "engine", chosen.id()));
    }

    /** A direct float buffer in native order of uniform random values in [0, 1), seeded. */
    private static FloatBuffer randomFloats(int length) {
        FloatBuffer buffer = nativeFloats(length);
        Random random = new Random(0);
        for (int i = 0; i < length; i++) {
            buffer.put(i, random.nextFloat());
        }
        return buffer;
    }

    private static FloatBuffer nativeFloats(int length) {
        return ByteBuffer.allocateDirect(length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * {@code mnv2-a1.0-frozen-train-100}: the frozen MobileNetV2 base with global average pooling
     * ({@link MobileNetV2#withGlobalAveragePooling}), batch normalization folded as the transfer learner's feature
     * cache does ({@link InferenceFolding}), computes features in inference mode, then one Adam step of the
     * Dense(128, relu) + Dense(3, softmax) head on one worker thread with single-threaded native operations, as the
     * transfer learner trains its head; batch of 32 at 100x100.
     */
    static BenchResult mobileNetV2FrozenTrain(String peer) {
        ParallelInference base = ParallelInference.of(InferenceFolding.fold(
                MobileNetV2.withGlobalAveragePooling(BenchNetworks.mobileNetV2Features(1.0, 100)), InputShape.rgb(100)));
        ComputationGraph head = BenchNetworks.transferHead(1280, CLASSES);
        NativeWorkers headWorker = NativeWorkers.create(1, "bench-head");
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, 100, 100);
        INDArray y = oneHot(new Random(0), BATCH, CLASSES);
        double seconds = Timing.secondsPerStep(() -> {
            INDArray features = base.outputSingle(x);
            headWorker.run(() -> {
                head.fit(new DataSet(features, y));
                return null;
            }, "training the head");
        }, 1, 5);
        return result("mnv2-a1.0-frozen-train-100", BATCH / seconds, peer, Map.of("batch", BATCH));
    }

    /**
     * {@code mnv2-a0.35-finetune-100}: Adam (1e-4) steps of fine-tuning MobileNetV2 alpha 0.35 at 100x100 on 4
     * rotating random batches of 32, through the library's fine-tuning path ({@link MobileNetV2FineTuning}, as the
     * transfer learner's fine-tuning stage runs it): Keras blocks 14 to 16, {@code Conv_1} and the GlobalAveragePooling
     * + Dense(128, relu) + Dense(3, softmax) head train with every batch normalization in inference mode, the earlier
     * layers stay frozen; random weights, as the peer's. 2 warm-up and 10 timed steps, as the peer; the warm-up steps and then the timed
     * steps run as one sequence each ({@link MobileNetV2FineTuning#fit(java.util.Iterator, java.util.function.DoubleConsumer)},
     * as the transfer learner's fine-tuning epochs do), so the frozen part of the next batch runs while the current
     * one trains. The key
     * {@code fast_path} says whether the frozen part ran as a compiled inference plan ({@code -Dcnnkit.fastpaths=false}
     * turns it off), {@code compiled_step} whether the trainable part ran as a compiled training step.
     */
    static BenchResult mobileNetV2FineTune(String peer) {
        MobileNetV2FineTuning fineTuning = MobileNetV2FineTuning.builder()
                .setArchitecture(MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(100)).build())
                .setNumClasses(CLASSES)
                .optTrainableBlocks(3)
                .optLearningRate(1e-4)
                .optHiddenUnits(128)
                .build();
        DataSet[] batches = new DataSet[4];
        Random random = new Random(0);
        for (int i = 0; i < batches.length; i++) {
            batches[i] = new DataSet(Nd4j.rand(DataType.FLOAT, BATCH, 3, 100, 100), oneHot(random, BATCH, CLASSES));
        }
        // the peer's 2 warm-up steps, through the same sequence path as the timed steps
        fineTuning.fit(List.of(batches[0], batches[1]).iterator(), loss -> { });
        int timedSteps = 10;
        List<DataSet> timed = new ArrayList<>(timedSteps);
        for (int i = 0; i < timedSteps; i++) {
            timed.add(batches[(2 + i) % batches.length]);
        }
        long start = System.nanoTime();
        fineTuning.fit(timed.iterator(), loss -> { });
        double seconds = (System.nanoTime() - start) / 1e9 / timedSteps;
        return result("mnv2-a0.35-finetune-100", BATCH / seconds, peer, Map.of("batch", BATCH, "fast_path",
                fineTuning.usesFastPath(), "compiled_step", fineTuning.usesCompiledTrainingStep()));
    }

    /** {@code vgg16-fc2-224}: VGG16 up to fc2 on a batch of 16 at 224x224. */
    static BenchResult vgg16Fc2(String peer, InferenceEngine engine) {
        return infer("vgg16-fc2-224", BenchNetworks.network("vgg16-fc2-224"), 16, 1, 2, peer, engine);
    }

    static INDArray oneHot(Random random, int rows, int classes) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, rows, classes);
        for (int r = 0; r < rows; r++) {
            y.putScalar(r, random.nextInt(classes), 1f);
        }
        return y;
    }

    static BenchResult result(String name, double rate, String peer, Map<String, Object> extra) {
        return new BenchResult(name, rate, "images/s", peer, PeakMemory.peakRssMib(), extra);
    }
}
