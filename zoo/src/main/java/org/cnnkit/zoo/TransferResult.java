package org.cnnkit.zoo;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * The outcome of {@link TransferLearner#train} or {@link TransferLearner#fineTune}: the whole network (frozen base +
 * head, images in, class probabilities out) and the course of training.
 *
 * @param network the trained network: input NCHW images preprocessed to [-1, 1], output {@code [N, classes]}
 * @param classNames the class of each output column
 * @param architecture the base's architecture (alpha, input shape)
 * @param epochs the figures of every epoch
 * @param featureSeconds wall time spent computing cached features (0 without caching)
 * @param trainSeconds wall time of the training epochs
 */
public record TransferResult(ComputationGraph network, List<String> classNames, MobileNetV2 architecture,
        List<EpochFigures> epochs, double featureSeconds, double trainSeconds) {

    /**
     * Validates and copies the lists.
     *
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if there is no epoch
     */
    public TransferResult {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(architecture, "architecture");
        classNames = List.copyOf(classNames);
        epochs = List.copyOf(epochs);
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("no epoch was trained");
        }
    }

    /** Returns the figures of the last epoch. */
    public EpochFigures last() {
        return epochs.get(epochs.size() - 1);
    }

    /** Returns the total wall time: feature extraction plus training. */
    public double totalSeconds() {
        return featureSeconds + trainSeconds;
    }
}
