package org.cnnkit.core.runtime;

import java.util.Arrays;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A libnd4j operation (such as {@code conv2d} or {@code relu6}) with its input and output arrays and its arguments
 * bound once, in an ND4J {@link OpContext}: running it is one native call, without the per-call Java work of building
 * the operation, computing its output shape and allocating its output.
 */
final class NativeOpStep implements PlanStep {

    private final String where;
    private final CustomOp op;
    private final OpContext context;

    private NativeOpStep(String where, CustomOp op, OpContext context) {
        this.where = where;
        this.op = op;
        this.context = context;
    }

    /**
     * Binds an operation.
     *
     * @param where what the step computes, for error messages (such as {@code layer 'conv1' (conv2d)})
     * @param call the operation's name and arguments
     * @param output the array the operation writes (may be one of the inputs, for operations that work in place)
     * @return the step
     */
    static NativeOpStep bind(String where, NativeCall call, INDArray output) {
        OpContext context = Nd4j.getExecutioner().buildContext();
        context.setInputArrays(call.inputs());
        context.setOutputArrays(output);
        if (call.integers().length > 0) {
            context.setIArguments(call.integers());
        }
        if (call.floats().length > 0) {
            context.setTArguments(call.floats());
        }
        if (call.booleans().length > 0) {
            context.setBArguments(call.booleans());
        }
        return new NativeOpStep(where + ", " + call.name(), DynamicCustomOp.builder(call.name()).build(), context);
    }

    /**
     * Asks libnd4j for the shape an operation gives for its inputs.
     *
     * @param where what the step computes, for the error message
     * @param call the operation's name, inputs and arguments
     * @return the output shape
     * @throws CnnkitException if libnd4j rejects the inputs
     */
    static long[] outputShape(String where, NativeCall call) {
        DynamicCustomOp probe = DynamicCustomOp.builder(call.name())
                .addInputs(call.inputs())
                .addIntegerArguments(Arrays.stream(call.integers()).mapToInt(Math::toIntExact).toArray())
                .addFloatingPointArguments(Arrays.stream(call.floats()).boxed().toArray(Double[]::new))
                .addBooleanArguments(call.booleans())
                .build();
        List<LongShapeDescriptor> shapes;
        try {
            shapes = Nd4j.getExecutioner().calculateOutputShape(probe);
        } catch (RuntimeException e) {
            throw new CnnkitException(where + ": the native operation " + call.name() + " rejects inputs of shapes "
                    + call.describeInputs() + " (" + e.getMessage() + ")", e);
        }
        if (shapes.isEmpty()) {
            throw new CnnkitException(where + ": the native operation " + call.name() + " gives no output for inputs "
                    + "of shapes " + call.describeInputs());
        }
        return shapes.get(0).getShape();
    }

    @Override
    public void run() {
        try {
            Nd4j.getExecutioner().exec(op, context);
        } catch (RuntimeException e) {
            throw new CnnkitException(where + ": the native operation failed (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A libnd4j operation's name, inputs and arguments.
     *
     * @param name the operation, such as {@code conv2d}
     * @param inputs its input arrays
     * @param integers its integer arguments
     * @param floats its floating-point arguments
     * @param booleans its boolean arguments
     */
    record NativeCall(String name, INDArray[] inputs, long[] integers, double[] floats, boolean[] booleans) {

        /** An operation with inputs and integer arguments only. */
        static NativeCall of(String name, INDArray[] inputs, long... integers) {
            return new NativeCall(name, inputs, integers, new double[0], new boolean[0]);
        }

        /** The inputs' shapes, for messages. */
        String describeInputs() {
            return Arrays.stream(inputs).map(a -> Arrays.toString(a.shape())).toList().toString();
        }
    }
}
