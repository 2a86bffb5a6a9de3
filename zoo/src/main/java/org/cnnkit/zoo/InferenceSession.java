package org.cnnkit.zoo;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A network made ready to run inference on one {@link InferenceEngine}: it takes a batch of NCHW float images of the
 * network's input shape, already preprocessed, and returns the network's (single) output, one row per image.
 * Sessions are thread-safe; close them to release native resources (ONNX Runtime's session).
 */
public interface InferenceSession extends AutoCloseable {

    /** {@return the engine this session runs on} */
    InferenceEngine engine();

    /**
     * Runs inference on a batch.
     *
     * @param images {@code [n, channels, height, width]} preprocessed images
     * @return the network's output, {@code n} rows, detached from any workspace
     * @throws org.cnnkit.core.CnnkitException if the engine fails (for example on a batch of the wrong shape)
     */
    INDArray output(INDArray images);

    /** Releases the engine's resources; the session must not be used afterwards. */
    @Override
    void close();
}
