package org.cnnkit.core.training;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A max pooling whose windows tile the input (stride equal to the kernel, no padding; rows and columns past the last
 * whole window are left out, as in DL4J's {@code Truncate} mode and Keras's {@code valid}), computed in Java over the
 * arrays' float buffers: the forward pass records where each window's maximum is (a byte per output), so that the
 * backward pass writes each output's gradient there and zero everywhere else in one pass over the input gradient,
 * without libnd4j's {@code maxpool2d_bp}, which finds every maximum again and zero-fills the input gradient first.
 *
 * <p>Ties go to the first position of the window in row-major order, as with {@code maxpool2d_bp}. With the deferred
 * ReLU of the convolution before it, an output whose maximum is not positive is zero and passes no gradient, as
 * {@code relu} and {@code relu_bp} after the pooling would have it.
 *
 * <p>Each row of windows is read into a small Java array and each row of input gradients written from one, by bulk
 * copies, so that the loops index plain {@code float[]} arrays. Not thread-safe: one instance per stage.
 */
final class TiledMaxPooling {

    /** The largest window (in positions) whose arg-max fits the byte recorded per output. */
    static final int MAX_WINDOW = Byte.MAX_VALUE;

    /** The arg-max recorded for an output the ReLU set to zero: it passes no gradient. */
    private static final byte CUT = -1;

    private final int kernelHeight;
    private final int kernelWidth;
    private final boolean relu;
    private byte[] argMax = new byte[0];
    private float[] windowRows = new float[0];
    private float[] outputRow = new float[0];
    private int[] outputArgs = new int[0];
    private long[] inputShape;

    /**
     * Creates the pooling of one stage.
     *
     * @param kernel kernel (and stride) height and width
     * @param relu whether to apply the previous convolution's deferred ReLU to the pooled values
     */
    TiledMaxPooling(int[] kernel, boolean relu) {
        this.kernelHeight = kernel[0];
        this.kernelWidth = kernel[1];
        this.relu = relu;
    }

    /**
     * Tells whether this pooling applies: stride equal to the kernel, a window of at most {@link #MAX_WINDOW}
     * positions, and an input of c-ordered contiguous floats at least one window in size.
     *
     * @param kernel the pooling's kernel height and width
     * @param stride its strides
     * @param input the pooling's input {@code [n, c, H, W]}
     * @return true when {@link #forward} may be used on this input
     */
    static boolean applies(int[] kernel, int[] stride, INDArray input) {
        return kernel[0] == stride[0] && kernel[1] == stride[1] && kernel[0] * kernel[1] <= MAX_WINDOW
                && input.rank() == 4 && input.size(2) >= kernel[0] && input.size(3) >= kernel[1]
                && FloatBuffers.contiguous(input);
    }

    /**
     * Pools an input, applying the deferred ReLU if this pooling has one, and records each output's arg-max.
     *
     * @param input {@code [n, c, H, W]}, c-ordered contiguous floats
     * @param output {@code [n, c, H / kH, W / kW]}, c-ordered contiguous floats, overwritten
     */
    void forward(INDArray input, INDArray output) {
        inputShape = input.shape();
        int planes = Math.toIntExact(inputShape[0] * inputShape[1]);
        int height = (int) inputShape[2];
        int width = (int) inputShape[3];
        int outH = height / kernelHeight;
        int outW = width / kernelWidth;
        int windowRowLength = kernelHeight * width;
        if (argMax.length < planes * outH * outW) {
            argMax = new byte[planes * outH * outW];
        }
        if (windowRows.length < windowRowLength) {
            windowRows = new float[windowRowLength];
        }
        if (outputRow.length < outW) {
            outputRow = new float[outW];
            outputArgs = new int[outW];
        }
        FloatBuffer in = FloatBuffers.of(input);
        FloatBuffer out = FloatBuffers.of(output);
        long inStart = input.offset();
        long outStart = output.offset();
        float[] rows = windowRows;
        float[] pooled = outputRow;
        int[] rowArgs = outputArgs;
        byte[] args = argMax;
        for (int plane = 0; plane < planes; plane++) {
            for (int oh = 0; oh < outH; oh++) {
                in.get(Math.toIntExact(inStart + ((long) plane * height + (long) oh * kernelHeight) * width), rows, 0,
                        windowRowLength);
                poolRow(rows, width, outW, pooled, rowArgs);
                int argStart = (plane * outH + oh) * outW;
                for (int ow = 0; ow < outW; ow++) {
                    float max = pooled[ow];
                    if (relu && !(max > 0f)) {
                        pooled[ow] = 0f;
                        args[argStart + ow] = CUT;
                    } else {
                        args[argStart + ow] = (byte) rowArgs[ow];
                    }
                }
                out.put(Math.toIntExact(outStart + argStart), pooled, 0, outW);
            }
        }
    }

    /**
     * The maxima of one row of windows and their positions (the first in row-major order on ties). The loop runs over
     * the window positions, each over the row's windows, so that its body has no data-dependent branch.
     */
    private void poolRow(float[] rows, int width, int outW, float[] max, int[] arg) {
        for (int ow = 0; ow < outW; ow++) {
            max[ow] = rows[ow * kernelWidth];
            arg[ow] = 0;
        }
        for (int kh = 0; kh < kernelHeight; kh++) {
            for (int kw = kh == 0 ? 1 : 0; kw < kernelWidth; kw++) {
                int position = kh * kernelWidth + kw;
                int start = kh * width + kw;
                for (int ow = 0; ow < outW; ow++) {
                    float value = rows[start + ow * kernelWidth];
                    float current = max[ow];
                    arg[ow] = value > current ? position : arg[ow];
                    max[ow] = Math.max(current, value);
                }
            }
        }
    }

    /**
     * Writes the input gradient of the last forward pass: each output's gradient at its arg-max, zero at every
     * other position (the rows and columns past the last whole window included).
     *
     * @param outputGradient {@code [n, c, H / kH, W / kW]}, c-ordered contiguous floats
     * @param inputGradient {@code [n, c, H, W]}, c-ordered contiguous floats, overwritten
     */
    void backward(INDArray outputGradient, INDArray inputGradient) {
        int planes = Math.toIntExact(inputShape[0] * inputShape[1]);
        int height = (int) inputShape[2];
        int width = (int) inputShape[3];
        int outH = height / kernelHeight;
        int outW = width / kernelWidth;
        int windowRowLength = kernelHeight * width;
        int[] positionOffset = new int[kernelHeight * kernelWidth];
        for (int kh = 0; kh < kernelHeight; kh++) {
            for (int kw = 0; kw < kernelWidth; kw++) {
                positionOffset[kh * kernelWidth + kw] = kh * width + kw;
            }
        }
        FloatBuffer gradient = FloatBuffers.of(outputGradient);
        FloatBuffer result = FloatBuffers.of(inputGradient);
        long gradientStart = outputGradient.offset();
        long resultStart = inputGradient.offset();
        float[] rows = windowRows;
        float[] gradients = outputRow;
        byte[] args = argMax;
        int leftOverRows = height - outH * kernelHeight;
        for (int plane = 0; plane < planes; plane++) {
            for (int oh = 0; oh < outH; oh++) {
                int argStart = (plane * outH + oh) * outW;
                gradient.get(Math.toIntExact(gradientStart + argStart), gradients, 0, outW);
                Arrays.fill(rows, 0, windowRowLength, 0f);
                for (int ow = 0; ow < outW; ow++) {
                    int arg = args[argStart + ow];
                    if (arg >= 0) {
                        rows[ow * kernelWidth + positionOffset[arg]] = gradients[ow];
                    }
                }
                result.put(Math.toIntExact(resultStart + ((long) plane * height + (long) oh * kernelHeight) * width),
                        rows, 0, windowRowLength);
            }
            if (leftOverRows > 0) {
                Arrays.fill(rows, 0, leftOverRows * width, 0f);
                result.put(Math.toIntExact(resultStart + ((long) plane * height + (long) outH * kernelHeight) * width),
                        rows, 0, leftOverRows * width);
            }
        }
    }
}
