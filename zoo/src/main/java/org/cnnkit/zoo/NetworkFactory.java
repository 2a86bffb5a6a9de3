package org.cnnkit.zoo;

import org.cnnkit.core.image.InputShape;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Builds a fresh, initialized network for a classification task: the bridge between a trainer and an
 * architecture of the zoo.
 *
 * <p>A network made by a factory is a {@link ComputationGraph} with one input named {@code "input"}
 * (NCHW images of the given shape, already preprocessed) and one softmax output named {@code "output"}
 * with one unit per class. Its updater is Adam; a trainer may change the learning rate afterwards.
 * Implementations call {@link org.cnnkit.core.runtime.NativeRuntime#ensureConfigured()} first.
 */
public interface NetworkFactory {

    /**
     * Returns a short, stable name of the architecture for provenance and reports, such as {@code "seedcnn-notebook"}.
     *
     * @return the model name
     */
    String modelName();

    /**
     * Builds and initializes a network.
     *
     * @param inputShape the image shape the network takes
     * @param numClasses the number of output classes, at least 2
     * @param seed the seed of the weight initialization: the same seed gives the same initial weights
     * @return a new initialized network
     * @throws IllegalArgumentException if {@code numClasses} is below 2
     * @throws org.cnnkit.core.CnnkitException if the input shape does not suit the architecture (for example
     *     too small), with a message naming the shape and the limit
     */
    ComputationGraph create(InputShape inputShape, int numClasses, long seed);
}
