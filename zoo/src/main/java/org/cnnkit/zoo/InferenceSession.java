package org.cnnkit.zoo;

import java.util.Arrays;
import org.cnnkit.core.CnnkitException;
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

    /**
     * Runs inference on a batch and writes the output into an array the caller keeps between batches. A new output
     * array costs more than its copy: allocating it took 38-66 ms for MobileNetV2's 2.6 MB output of
     * 32 images at 100x100 on the 2 loaded cores where a copy into reused memory took 0.3-0.5 ms (see
     * docs/performance.md). This default copies {@link #output(INDArray)}; ONNX Runtime writes its output straight
     * into {@code into}. {@link ReusedOutput} keeps such an array over a pass of many batches.
     *
     * @param images {@code [n, channels, height, width]} preprocessed images
     * @param into a float array of the output's shape ({@code n} rows), C order, not a view
     * @return {@code into}
     * @throws org.cnnkit.core.CnnkitException if the engine fails or {@code into} does not have the output's shape
     */
    default INDArray output(INDArray images, INDArray into) {
        INDArray output = output(images);
        if (!Arrays.equals(output.shape(), into.shape())) {
            throw new CnnkitException("the output array has shape " + Arrays.toString(
                    into.shape()) + "; the network's output has shape " + Arrays.toString(output.shape()));
        }
        into.assign(output);
        if (output.closeable()) {
            output.close();
        }
        return into;
    }

    /** Releases the engine's resources; the session must not be used afterwards. */
    @Override
    void close();
}
