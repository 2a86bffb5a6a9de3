package org.cnnkit.zoo;

import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The output array of one pass of an {@link InferenceSession} over many batches: the first batch's output array is
 * kept, and every later batch of the same number of images is written into it
 * ({@link InferenceSession#output(INDArray, INDArray)}) instead of into a new array; a batch of another size (the
 * last, shorter one) gets an array of its own. A new output array costs more than the copy into a kept one
 * (docs/onnx.md, "Outputs into a reused array").
 *
 * <p>The array {@link #output(INDArray)} returns is overwritten by the next call: read it (for example into Java
 * arrays) before running the next batch. Not thread-safe: make one per pass, on the thread that runs it.
 */
public final class ReusedOutput {

    private final InferenceSession session;
    private INDArray kept;

    /**
     * Starts a pass.
     *
     * @param session the session that runs the batches
     */
    public ReusedOutput(InferenceSession session) {
        this.session = Objects.requireNonNull(session, "session");
    }

    /**
     * Runs the network on a batch.
     *
     * @param images {@code [n, channels, height, width]} preprocessed images
     * @return the network's output, {@code n} rows, valid until the next call
     * @throws org.cnnkit.core.CnnkitException if the engine fails
     */
    public INDArray output(INDArray images) {
        Objects.requireNonNull(images, "images");
        if (kept != null && kept.size(0) == images.size(0)) {
            return session.output(images, kept);
        }
        INDArray output = session.output(images);
        if (kept == null) {
            kept = output;
        }
        return output;
    }
}
