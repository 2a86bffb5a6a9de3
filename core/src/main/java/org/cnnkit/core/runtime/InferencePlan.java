package org.cnnkit.core.runtime;

import java.util.Arrays;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A network's inference compiled for one input shape ({@link InferencePlanCompiler}): the libnd4j operations of its
 * layers in order, each bound to preallocated arrays, run one after the other. Running it does none of the per-layer
 * Java work of DL4J's forward pass (workspaces, layer objects, shape checks, allocations), which on 2 cores cost about
 * as much time as the arithmetic for MobileNetV2 at 100x100, and far more while the JIT compiler is still warming up.
 *
 * <p>The plan reads the network's parameter arrays directly: in-place changes to them (training) are seen by the
 * next run. Not thread-safe: one plan per thread (its arrays are reused by every run).
 */
final class InferencePlan {

    private final long[] inputShape;
    private final INDArray input;
    private final List<PlanStep> steps;
    private final INDArray[] outputs;
    private final long activationBytes;

    InferencePlan(long[] inputShape, INDArray input, List<PlanStep> steps, INDArray[] outputs, long activationBytes) {
        this.inputShape = inputShape.clone();
        this.input = input;
        this.steps = List.copyOf(steps);
        this.outputs = outputs.clone();
        this.activationBytes = activationBytes;
    }

    /** Returns the number of steps (native operations and copies). */
    int stepCount() {
        return steps.size();
    }

    /**
     * Returns the bytes of the activation buffers the plan runs on: its outputs included, its input not, and shared
     * with the other plans compiled on the same {@link PlanBuffers}.
     */
    long activationBytes() {
        return activationBytes;
    }

    /**
     * Runs the network on {@code batch}.
     *
     * @param batch an array of exactly the shape the plan was compiled for
     * @return the network's outputs, in the graph's output order, as new arrays (not the plan's buffers)
     * @throws CnnkitException if the batch has another shape, or a native operation fails
     */
    INDArray[] run(INDArray batch) {
        if (!Arrays.equals(batch.shape(), inputShape)) {
            throw new CnnkitException("this inference plan takes inputs of shape " + Arrays.toString(inputShape)
                    + ", got " + Arrays.toString(batch.shape()));
        }
        input.assign(batch);
        for (PlanStep step : steps) {
            step.run();
        }
        INDArray[] results = new INDArray[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            results[i] = outputs[i].dup('c');
        }
        return results;
    }
}
