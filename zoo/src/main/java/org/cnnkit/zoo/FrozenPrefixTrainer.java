package org.cnnkit.zoo;

import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.function.DoubleConsumer;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.core.runtime.NativeWorkers;
import org.cnnkit.core.runtime.ParallelInference;
import org.cnnkit.core.training.CompiledTrainingStep;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a graph whose vertices up to one vertex are frozen by running the two parts differently: the frozen prefix
 * only infers, so it runs folded ({@link InferenceFolding}) as compiled inference plans on all cores
 * ({@link ParallelInference}), keeping no activations for backpropagation and computing no gradient; the trainable
 * tail ({@link GraphCut#tail}) trains on the prefix's output on one worker thread with single-threaded native
 * operations, as a {@link CompiledTrainingStep} (its libnd4j operations on reused buffers) or, when the tail has a
 * layer that step does not compile, with DL4J's {@code fit}. One thread, because the tail's operations are small
 * (MobileNetV2's last blocks at a 4x4 map for 100x100 images): spread over 2 OpenMP threads they mostly waited for
 * each other (6 to 9 s a step at load 30 against the prefix's 0.05 to 0.2 s), and split between two workers of 16
 * images each they took 2.5 to 3 times the CPU time of one worker on 32 (the per-operation cost does not shrink with
 * the images). A step gives the tail the same update as DL4J's {@code fit} of the whole graph, up to float rounding
 * ({@code MobileNetV2FineTuningTest}).
 *
 * <p>The tail holds its own copy of the trainable parameters: {@link #network()} writes them back into the whole
 * graph. The prefix reads a snapshot of the frozen parameters taken at construction.
 */
final class FrozenPrefixTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(FrozenPrefixTrainer.class);

    private final ComputationGraph network;
    private final ParallelInference prefix;
    private final ComputationGraph tail;
    private final CompiledTrainingStep compiledTail;
    private final NativeWorkers tailWorker;
    private final NativeWorkers prefixThread;

    private FrozenPrefixTrainer(ComputationGraph network, ParallelInference prefix, ComputationGraph tail) {
        this.network = network;
        this.prefix = prefix;
        this.tail = tail;
        this.compiledTail = CompiledTrainingStep.of(tail, 1).orElse(null);
        this.tailWorker = NativeWorkers.create(1, "cnnkit-tail");
        // single-threaded native operations (joining the workers' pieces): a thread with the default 2 OpenMP
        // threads left them spinning on the tail's core after each operation
        this.prefixThread = NativeWorkers.create(1, "cnnkit-prefix");
    }

    /**
     * Splits a graph for training, if it can be split at {@code frozenUpTo}.
     *
     * @param network an initialized graph whose vertices up to {@code frozenUpTo} are frozen
     * @param frozenUpTo the last frozen vertex
     * @param inputShape the shape of the images the graph takes
     * @return the trainer, or null when the graph cannot be cut there or its prefix cannot run as a compiled plan
     *     (the reason is logged at DEBUG)
     */
    static FrozenPrefixTrainer split(ComputationGraph network, String frozenUpTo, InputShape inputShape) {
        Objects.requireNonNull(network, "network");
        String reason = GraphCut.unsupportedReason(network, frozenUpTo).orElse(null);
        ParallelInference prefix = null;
        if (reason == null) {
            prefix = ParallelInference.of(InferenceFolding.fold(GraphCut.prefix(network, frozenUpTo), inputShape));
            if (!prefix.usesCompiledPlans()) {
                reason = "its frozen part cannot run as a compiled inference plan";
            }
        }
        if (reason != null) {
            LOG.debug("training runs DL4J's fit on the whole graph: {}", reason);
            return null;
        }
        return new FrozenPrefixTrainer(network, prefix, NativeRuntime.accelerate(GraphCut.tail(network, frozenUpTo)));
    }

    /** {@return whether the tail trains as a compiled training step (else with DL4J's fit)} */
    boolean compiledTail() {
        return compiledTail != null;
    }

    /**
     * Makes one training step on a batch: the frozen prefix infers, the tail makes one training step.
     *
     * @param batch images and labels
     * @return the step's loss (DL4J's score of the tail)
     */
    double fit(DataSet batch) {
        INDArray features = prefix.outputSingle(batch.getFeatures());
        return trainTail(new DataSet(features, batch.getLabels()));
    }

    /**
     * Makes one training step per batch, in order, running the frozen prefix on the next batch while the tail trains
     * on the current one: the tail's single worker and the prefix then use both cores at once, instead of the prefix
     * running between two tail steps. The prefix of the next batch runs on one of its workers only: on two, it took
     * a share of the tail's core (three busy threads on two cores) and a step took 86-93 ms instead of the tail's
     * 65. OpenBLAS runs on one thread meanwhile ({@link NativeRuntime#runWithOneBlasThread}). The prefix is frozen,
     * so its output of a batch does not depend on the steps before: the steps are those of
     * {@link #fit} batch after batch. At most two batches' prefix outputs are held.
     *
     * @param batches images and labels, one step each
     * @param losses receives each step's loss, in order
     * @throws CnnkitException if the calling thread is interrupted
     */
    void fitAll(Iterator<DataSet> batches, DoubleConsumer losses) {
        if (!batches.hasNext()) {
            return;
        }
        // the tail's matrix products on one thread: an OpenBLAS thread sharing them took the frozen part's core
        NativeRuntime.runWithOneBlasThread(() -> fitSequence(batches, losses));
    }

    private void fitSequence(Iterator<DataSet> batches, DoubleConsumer losses) {
        DataSet current = batches.next();
        // nothing trains yet: the first batch's frozen part runs on every core
        Future<INDArray> features = prefixThread.submit(prefixOf(current, prefix.workers()));
        try {
            while (current != null) {
                DataSet tailBatch = new DataSet(NativeWorkers.await(features, "running the frozen layers"),
                        current.getLabels());
                DataSet next = batches.hasNext() ? batches.next() : null;
                if (next != null) {
                    // one worker: the tail's worker keeps its core to itself
                    features = prefixThread.submit(prefixOf(next, 1));
                }
                losses.accept(trainTail(tailBatch));
                current = next;
            }
        } finally {
            features.cancel(true); // only when the tail failed with the next batch's frozen part still running
        }
    }

    private Callable<INDArray> prefixOf(DataSet batch, int workers) {
        INDArray images = batch.getFeatures();
        return () -> prefix.outputSingle(images, workers);
    }

    private double trainTail(DataSet tailBatch) {
        return tailWorker.run(() -> {
            if (compiledTail != null) {
                return compiledTail.fit(tailBatch);
            }
            tail.fit(tailBatch);
            return tail.score();
        }, "training the unfrozen layers");
    }

    /** {@return the whole graph, with the tail's current parameters written back into it} */
    ComputationGraph network() {
        GraphCut.copyParameters(tail, network);
        return network;
    }
}
