package org.cnnkit.core.runtime;

/** One step of an {@link InferencePlan}: a native operation or a copy, on arrays bound when the plan was compiled. */
interface PlanStep {

    /**
     * Runs the step once, reading and writing the arrays it was compiled with.
     *
     * @throws org.cnnkit.core.CnnkitException if the native operation fails, naming the layer
     */
    void run();
}
