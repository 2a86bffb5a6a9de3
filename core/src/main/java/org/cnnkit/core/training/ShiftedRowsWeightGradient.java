package org.cnnkit.core.training;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The weight and bias gradients of a network's first convolution (stride 1, no padding, NCHW) without an input
 * gradient and without oneDNN's layout reorders: one matrix product per image.
 *
 * <p>Seen with the image's rows laid end to end, the input value under kernel tap {@code (kh, kw)} of output position
 * {@code (oh, ow)} is at {@code (oh * W + ow) + (kh * W + kw)}: each tap of each input channel reads one contiguous
 * run of the flat channel, starting at {@code kh * W + kw}. So the weight gradient of one image is
 * {@code G' x R^T}, where {@code G'} is the output gradient with each row of {@code outW} values spread to the input's
 * row width {@code W} (the gap stays zero) and {@code R} has one row per (channel, kh, kw): the run of the input
 * starting at that tap. A last row of ones in {@code R} gives the bias gradient in the same product. Both matrices
 * are filled by memory copies of whole runs; libnd4j's {@code matmul} multiplies them. The products are summed over
 * the images in double precision.
 *
 * <p>DL4J's path ({@code conv2d_bp}) and the transposed-convolution path both reorder the full-size output gradient
 * into oneDNN's blocked layout (twice) and compute an input gradient or a forward convolution on the side; on the
 * notebook CNN's first layer (16 images of 3x100x100, 24 filters of 5x5) that was 44-47 ms of CPU per step on one
 * thread against 13-17 here.
 */
final class ShiftedRowsWeightGradient {

    private final NativeOps product;
    private final long[] kernel;
    private INDArray rows;
    private INDArray spreadGradient;
    private INDArray imageProduct;
    private long[] preparedFor;

    /**
     * Creates the computation for one layer.
     *
     * @param where the layer, for messages
     * @param kernelHeight the kernel height
     * @param kernelWidth the kernel width
     */
    ShiftedRowsWeightGradient(String where, int kernelHeight, int kernelWidth) {
        this.kernel = new long[] {kernelHeight, kernelWidth};
        // [out, run] x [taps + 1, run]^T
        this.product = NativeOps.bind(where, "matmul", 0, 1, 0);
    }

    /**
     * Tells whether this computation applies: a kernel larger than 1x1, stride 1, no padding, and c-ordered contiguous
     * float arrays. A 1x1 first convolution (the first layer of a fine-tuned tail, on 4x4 maps) measured faster on the
     * transposed-convolution path (1.2 against 1.7 ms of CPU for 32 images), whose reorders are small there.
     *
     * @param kernel the convolution's kernel height and width
     * @param stride the convolution's strides
     * @param padding the convolution's padding
     * @param input the layer's input
     * @param outputGradient the gradient of the layer's output (before its bias and activation)
     * @param weightGradient the weight gradient view it would write
     * @return true when {@link #compute} may be used
     */
    static boolean applies(int[] kernel, int[] stride, int[] padding, INDArray input, INDArray outputGradient,
                           INDArray weightGradient) {
        return kernel[0] * kernel[1] > 1 && stride[0] == 1 && stride[1] == 1 && padding[0] == 0 && padding[1] == 0
                && contiguous(input) && contiguous(outputGradient) && contiguous(weightGradient);
    }

    /**
     * Computes the gradients, overwriting both gradient arrays.
     *
     * @param input the layer's input {@code [n, in, H, W]}
     * @param outputGradient the gradient of the pre-activation {@code [n, out, outH, outW]}
     * @param weightGradient the weight gradient to write, c-ordered {@code [out, in, kH, kW]}
     * @param biasGradient the bias gradient to write {@code [out]}, or null for a convolution without bias
     */
    void compute(INDArray input, INDArray outputGradient, INDArray weightGradient, INDArray biasGradient) {
        int images = (int) input.size(0);
        int channels = (int) input.size(1);
        int height = (int) input.size(2);
        int width = (int) input.size(3);
        int out = (int) outputGradient.size(1);
        int outH = (int) outputGradient.size(2);
        int outW = (int) outputGradient.size(3);
        int taps = channels * (int) kernel[0] * (int) kernel[1];
        int run = (outH - 1) * width + outW;
        prepare(taps, out, run);
        FloatBuffer x = floats(input);
        FloatBuffer g = floats(outputGradient);
        FloatBuffer r = floats(rows);
        FloatBuffer s = floats(spreadGradient);
        FloatBuffer p = floats(imageProduct);
        double[] sum = new double[out * (taps + 1)];
        for (int i = 0; i < images; i++) {
            int imageStart = (int) input.offset() + i * channels * height * width;
            int row = 0;
            for (int c = 0; c < channels; c++) {
                for (int kh = 0; kh < kernel[0]; kh++) {
                    for (int kw = 0; kw < kernel[1]; kw++) {
                        r.put(row * run, x, imageStart + (c * height + kh) * width + kw, run);
                        row++;
                    }
                }
            }
            int gradientStart = (int) outputGradient.offset() + i * out * outH * outW;
            for (int o = 0; o < out; o++) {
                for (int h = 0; h < outH; h++) {
                    s.put(o * run + h * width, g, gradientStart + (o * outH + h) * outW, outW);
                }
            }
            product.run(new INDArray[] {spreadGradient, rows}, imageProduct);
            for (int k = 0; k < sum.length; k++) {
                sum[k] += p.get(k);
            }
        }
        FloatBuffer w = floats(weightGradient);
        int weightStart = (int) weightGradient.offset();
        for (int o = 0; o < out; o++) {
            for (int t = 0; t < taps; t++) {
                w.put(weightStart + o * taps + t, (float) sum[o * (taps + 1) + t]);
            }
        }
        if (biasGradient != null) {
            FloatBuffer b = floats(biasGradient);
            int biasStart = (int) biasGradient.offset();
            long biasStride = biasGradient.length() == 1 ? 1 : biasGradient.stride(biasGradient.rank() - 1);
            for (int o = 0; o < out; o++) {
                b.put(biasStart + (int) (o * biasStride), (float) sum[o * (taps + 1) + taps]);
            }
        }
    }

    /** Allocates the matrices for a shape (once per shape): the ones row and the gaps of the spread gradient. */
    private void prepare(int taps, int out, int run) {
        long[] shape = {taps, out, run};
        if (Arrays.equals(shape, preparedFor)) {
            return;
        }
        rows = Nd4j.create(DataType.FLOAT, new long[] {taps + 1L, run}, 'c');
        rows.getRow(taps).assign(1.0);
        spreadGradient = Nd4j.zeros(DataType.FLOAT, out, run);
        imageProduct = Nd4j.create(DataType.FLOAT, new long[] {out, taps + 1L}, 'c');
        preparedFor = shape;
    }

    private static FloatBuffer floats(INDArray array) {
        return FloatBuffers.of(array);
    }

    private static boolean contiguous(INDArray array) {
        return FloatBuffers.contiguous(array);
    }
}
