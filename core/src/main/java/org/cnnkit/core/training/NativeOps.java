package org.cnnkit.core.training;

import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One libnd4j operation of a stage, with its name and arguments bound once in an ND4J {@link OpContext}: each call
 * sets the input and output arrays and runs it, without building the operation, computing output shapes or
 * allocating anything. Building a {@code DynamicCustomOp} per call made a new native op context per operation and
 * step (freed only by the Java garbage collector) and Java work that the JIT compiler was still compiling during the
 * first timed steps.
 */
final class NativeOps {

    private final String where;
    private final DynamicCustomOp op;
    private final OpContext context;

    private NativeOps(String where, String name, long[] integers, double[] floats) {
        this.where = where;
        this.op = DynamicCustomOp.builder(name).build();
        this.context = Nd4j.getExecutioner().buildContext();
        if (integers.length > 0) {
            context.setIArguments(integers);
        }
        if (floats.length > 0) {
            context.setTArguments(floats);
        }
    }

    /**
     * Binds an operation with integer arguments.
     *
     * @param where the layer the operation belongs to, for the error message
     * @param name the libnd4j operation, such as {@code conv2d_bp}
     * @param integers its integer arguments
     * @return the bound operation
     */
    static NativeOps bind(String where, String name, long... integers) {
        return new NativeOps(where, name, integers, new double[0]);
    }

    /**
     * Binds an element-wise operation with one floating-point argument (such as {@code relu} with its cut-off).
     *
     * @param where the layer the operation belongs to, for the error message
     * @param name the libnd4j operation
     * @param argument its floating-point argument
     * @return the bound operation
     */
    static NativeOps bindWithFloat(String where, String name, double argument) {
        return new NativeOps(where, name, new long[0], new double[] {argument});
    }

    /**
     * Runs the operation.
     *
     * @param inputs its inputs
     * @param outputs the arrays it writes
     */
    void run(INDArray[] inputs, INDArray... outputs) {
        try {
            context.setInputArrays(inputs);
            context.setOutputArrays(outputs);
            Nd4j.getExecutioner().exec(op, context);
        } catch (RuntimeException e) {
            throw new CnnkitException(where + ": the native operation " + op.opName() + " failed during a compiled"
                    + " training step (" + e.getMessage() + ")", e);
        }
    }
}
