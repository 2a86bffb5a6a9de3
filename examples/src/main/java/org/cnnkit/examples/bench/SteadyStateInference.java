package org.cnnkit.examples.bench;

import java.util.Locale;
import org.cnnkit.core.runtime.ParallelInference;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * MobileNetV2 feature inference run for many batches, to separate warm-up from steady speed: the benchmark's
 * {@code mnv2-*-infer-*} workloads time 3 batches after 1 warm-up, as the PyTorch peer does.
 *
 * <p>{@code java -cp examples/target/cnnkit.jar org.cnnkit.examples.bench.SteadyStateInference ALPHA SIZE
 * [BATCHES]} (defaults: 200 batches of 32, random weights, the same folded channels-last graph and
 * {@link ParallelInference} as the workloads). Prints the images/s of batches 2 to 4 (the workload's window) and the
 * mean of batches 50 to the last.
 */
public final class SteadyStateInference {

    private static final int BATCH = 32;
    private static final int STEADY_FROM = 50;

    private SteadyStateInference() {
    }

    /**
     * Runs the measurement.
     *
     * @param args {@code ALPHA SIZE [BATCHES]}
     */
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: SteadyStateInference ALPHA SIZE [BATCHES]");
            System.exit(2);
        }
        double alpha = Double.parseDouble(args[0]);
        int size = Integer.parseInt(args[1]);
        int batches = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        if (batches <= STEADY_FROM) {
            System.err.println("BATCHES must be above " + STEADY_FROM);
            System.exit(2);
        }
        ParallelInference net = BenchNetworks.foldedMobileNetV2Inference(alpha, size);
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, 3, size, size);
        double[] rate = new double[batches + 1];
        for (int b = 1; b <= batches; b++) {
            long start = System.nanoTime();
            net.output(x);
            rate[b] = BATCH / ((System.nanoTime() - start) / 1e9);
        }
        double steady = 0;
        for (int b = STEADY_FROM; b <= batches; b++) {
            steady += rate[b];
        }
        steady /= batches - STEADY_FROM + 1;
        System.out.printf(Locale.ROOT, "mobilenetv2 alpha %s at %dx%d: batches 2-4 %.0f %.0f %.0f images/s; "
                + "batches %d-%d mean %.0f images/s%n", args[0], size, size, rate[2], rate[3], rate[4], STEADY_FROM,
                batches, steady);
    }
}
