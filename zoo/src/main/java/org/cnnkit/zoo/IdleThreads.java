package org.cnnkit.zoo;

/**
 * What an inference session's idle native threads do while they wait for work: between the parallel parts of one
 * batch and between batches. ONNX Runtime's intra-op threads honour it (its session option
 * {@code session.intra_op.allow_spinning}); DL4J's sessions ignore it.
 *
 * <p>Spinning answers the next parallel part soonest and suits a network that runs alone (a benchmark, a loop over
 * batches already in memory); sleeping leaves the cores to other threads of the same process, which suits
 * cnnkit's pipelines that decode the next images while the network runs (feature extraction over files, the
 * classifier's predictions over files, the search server's queue). Measured in docs/performance.md.
 */
public enum IdleThreads {

    /** Idle threads busy-wait for the next work (ONNX Runtime's own default). */
    SPIN,

    /** Idle threads sleep until there is work, leaving their cores to the process's other threads. */
    SLEEP
}
