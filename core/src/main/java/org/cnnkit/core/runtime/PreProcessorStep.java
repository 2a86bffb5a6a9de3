package org.cnnkit.core.runtime;

import org.cnnkit.core.CnnkitException;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J input preprocessor (a reshape, a layout permutation) run on a bound input, its result copied into a bound
 * output array, so that the steps after it read a fixed array. The preprocessor's own result is made in a workspace
 * of the running thread that is reused on every run: made outside one, as DL4J's preprocessors do without a
 * workspace, it stayed allocated until the Java garbage collector ran, which the small Java heap of a training loop
 * makes rare (a channels-last permutation of 16 images of 100x100 is 1.9 MB a run).
 */
final class PreProcessorStep implements PlanStep {

    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .build();

    private final String where;
    private final InputPreProcessor preProcessor;
    private final INDArray input;
    private final INDArray output;
    private final LayerWorkspaceMgr workspace = LayerWorkspaceMgr.builder()
            .defaultWorkspace("CNNKIT_PLAN_PREPROCESSOR", WORKSPACE).build();

    private PreProcessorStep(String where, InputPreProcessor preProcessor, INDArray input, INDArray output) {
        this.where = where;
        // A copy of its own: some DL4J preprocessors keep state from their last call (FeedForwardToCnnPreProcessor
        // writes a field), and the graph's configuration is shared by every worker's plan.
        this.preProcessor = preProcessor.clone();
        this.input = input;
        this.output = output;
    }

    /**
     * Returns the shape the preprocessor gives for an input, by running it once.
     *
     * @param where what the step computes, for the error message
     * @param preProcessor the preprocessor
     * @param input an array of the input's shape (its values do not matter)
     * @return the output shape
     * @throws CnnkitException if the preprocessor rejects the input
     */
    static long[] outputShape(String where, InputPreProcessor preProcessor, INDArray input) {
        return apply(where, preProcessor.clone(), input, LayerWorkspaceMgr.noWorkspaces()).shape();
    }

    /**
     * Binds a preprocessor between two arrays.
     *
     * @param where what the step computes, for error messages
     * @param preProcessor the preprocessor
     * @param input the array it reads
     * @param output the array its result is copied into, of the shape {@link #outputShape} gave
     * @return the step
     */
    static PreProcessorStep bind(String where, InputPreProcessor preProcessor, INDArray input, INDArray output) {
        return new PreProcessorStep(where, preProcessor, input, output);
    }

    @Override
    public void run() {
        try (MemoryWorkspace scope = workspace.notifyScopeEntered(ArrayType.ACTIVATIONS)) {
            output.assign(apply(where, preProcessor, input, workspace));
        }
    }

    private static INDArray apply(String where, InputPreProcessor preProcessor, INDArray input,
            LayerWorkspaceMgr workspaces) {
        try {
            return preProcessor.preProcess(input, (int) input.size(0), workspaces);
        } catch (RuntimeException e) {
            throw new CnnkitException(where + ": the preprocessor " + preProcessor.getClass().getSimpleName()
                    + " rejects an input of shape " + java.util.Arrays.toString(input.shape()) + " ("
                    + e.getMessage() + ")", e);
        }
    }
}
