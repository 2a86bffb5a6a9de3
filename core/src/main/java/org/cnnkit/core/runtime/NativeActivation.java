package org.cnnkit.core.runtime;

import java.util.Optional;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The libnd4j operation that computes a DL4J activation function, for the activations cnnkit's networks use: identity,
 * ReLU (plain), ReLU6, leaky ReLU, sigmoid, tanh and softmax (over the last dimension, as DL4J's dense and output
 * layers apply it).
 *
 * @param opName the operation, or null for the identity
 * @param floats its floating-point arguments
 */
record NativeActivation(String opName, double[] floats) {

    private static final NativeActivation IDENTITY = new NativeActivation(null, new double[0]);

    /**
     * Finds the operation for an activation function.
     *
     * @param activation DL4J's activation function
     * @return the operation, or empty if this class does not know the function (or its settings)
     */
    static Optional<NativeActivation> of(IActivation activation) {
        Class<?> type = activation == null ? ActivationIdentity.class : activation.getClass();
        if (type == ActivationIdentity.class) {
            return Optional.of(IDENTITY);
        }
        if (type == ActivationReLU.class) {
            ActivationReLU relu = (ActivationReLU) activation;
            boolean plain = isZeroOrUnset(relu.getThreshold()) && isZeroOrUnset(relu.getNegativeSlope())
                    && relu.getMax() == null;
            return plain ? Optional.of(new NativeActivation("relu", new double[] {0.0})) : Optional.empty();
        }
        if (type == ActivationReLU6.class) {
            return Optional.of(new NativeActivation("relu6", new double[] {0.0}));
        }
        if (type == ActivationLReLU.class) {
            return Optional.of(new NativeActivation("lrelu", new double[] {((ActivationLReLU) activation).getAlpha()}));
        }
        if (type == ActivationSigmoid.class) {
            return Optional.of(new NativeActivation("sigmoid", new double[0]));
        }
        if (type == ActivationTanH.class) {
            return Optional.of(new NativeActivation("tanh", new double[0]));
        }
        if (type == ActivationSoftmax.class) {
            return Optional.of(new NativeActivation("softmax", new double[0]));
        }
        return Optional.empty();
    }

    /** Tells whether this is the identity (no step needed). */
    boolean isIdentity() {
        return opName == null;
    }

    /**
     * The call that applies this activation to {@code input}.
     *
     * @param input the array to activate (the step may write its result into the same array)
     * @return the call
     */
    NativeOpStep.NativeCall call(INDArray input) {
        return new NativeOpStep.NativeCall(opName, new INDArray[] {input}, new long[0], floats, new boolean[0]);
    }

    private static boolean isZeroOrUnset(Double value) {
        return value == null || value == 0.0;
    }
}
