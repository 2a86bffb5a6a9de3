package org.cnnkit.examples.bench;

import java.util.Locale;
import org.cnnkit.core.runtime.NativeRuntime;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times ND4J's convolution operations on NCHW against NHWC data, for the shapes of cnnkit's networks: the measurement
 * behind running inference graphs channels-last (docs/performance.md).
 *
 * <p>{@code java -cp examples/target/cnnkit.jar org.cnnkit.examples.bench.ConvolutionLayouts [--one-thread]} prints
 * the best of 6 runs of each operation in milliseconds; {@code --one-thread} runs the operations on one OpenMP thread,
 * as {@code ParallelInference}'s workers do.
 */
public final class ConvolutionLayouts {

    private static final int RUNS = 6;

    private ConvolutionLayouts() {
    }

    /**
     * Runs the measurement.
     *
     * @param args {@code [--one-thread]}
     */
    public static void main(String[] args) {
        NativeRuntime.ensureConfigured();
        if (args.length > 0 && "--one-thread".equals(args[0])) {
            NativeRuntime.runNativeOpsOnCallingThreadOnly();
        }
        // images, channels in, channels out, size, kernel, padding, what
        Object[][] convolutions = {
            {4, 64, 64, 224, 3, 1, "VGG16 block1_conv2"},
            {4, 128, 128, 112, 3, 1, "VGG16 block2_conv2"},
            {32, 3, 24, 100, 5, 0, "notebook CNN conv1"},
            {32, 24, 12, 48, 5, 0, "notebook CNN conv2"},
            {16, 96, 24, 25, 1, 0, "MobileNetV2 1x1 project"},
            {16, 24, 144, 25, 1, 0, "MobileNetV2 1x1 expand"},
        };
        for (Object[] c : convolutions) {
            for (boolean nhwc : new boolean[] {false, true}) {
                convolution((int) c[0], (int) c[1], (int) c[2], (int) c[3], (int) c[4], (int) c[5], nhwc, (String) c[6]);
            }
        }
        for (boolean nhwc : new boolean[] {false, true}) {
            depthwise(16, 144, 25, nhwc);
        }
    }

    private static void convolution(int n, int in, int out, int size, int k, int pad, boolean nhwc, String what) {
        int outSize = size - k + 1 + 2 * pad;
        INDArray x = nhwc ? Nd4j.rand(DataType.FLOAT, n, size, size, in) : Nd4j.rand(DataType.FLOAT, n, in, size, size);
        INDArray w = Nd4j.rand(DataType.FLOAT, k, k, in, out);
        INDArray b = Nd4j.rand(DataType.FLOAT, out);
        INDArray y = nhwc ? Nd4j.create(DataType.FLOAT, n, outSize, outSize, out)
                : Nd4j.create(DataType.FLOAT, n, out, outSize, outSize);
        INDArray gradY = y.like().assign(0.1);
        INDArray gradX = x.ulike();
        INDArray gradW = w.ulike();
        INDArray gradB = b.ulike();
        int[] args = {k, k, 1, 1, pad, pad, 1, 1, 0, nhwc ? 1 : 0, 0};
        double forward = best(() -> Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, w, b).addOutputs(y)
                .addIntegerArguments(args).build()));
        double backward = best(() -> Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(x, w, b, gradY)
                .addOutputs(gradX, gradW, gradB).addIntegerArguments(args).build()));
        System.out.printf(Locale.ROOT, "%-26s %d x %d->%d @%d k%d %s: forward %.2f ms, backward %.2f ms%n", what, n, in,
                out, size, k, nhwc ? "NHWC" : "NCHW", forward, backward);
    }

    private static void depthwise(int n, int channels, int size, boolean nhwc) {
        INDArray x = nhwc ? Nd4j.rand(DataType.FLOAT, n, size, size, channels)
                : Nd4j.rand(DataType.FLOAT, n, channels, size, size);
        INDArray w = Nd4j.rand(DataType.FLOAT, 3, 3, channels, 1);
        INDArray b = Nd4j.rand(DataType.FLOAT, channels);
        INDArray y = x.ulike();
        double forward = best(() -> Nd4j.exec(DynamicCustomOp.builder("depthwise_conv2d").addInputs(x, w, b)
                .addOutputs(y).addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, nhwc ? 1 : 0, 0).build()));
        System.out.printf(Locale.ROOT, "%-26s %d x %d @%d 3x3 %s: forward %.2f ms%n", "MobileNetV2 depthwise", n,
                channels, size, nhwc ? "NHWC" : "NCHW", forward);
    }

    private static double best(Runnable op) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            op.run();
            best = Math.min(best, (System.nanoTime() - start) / 1e6);
        }
        return best;
    }
}
