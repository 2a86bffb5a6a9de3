package org.cnnkit.core.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.cnnkit.core.runtime.NativeRuntime;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TiledMaxPoolingTest {

    @BeforeAll
    static void configure() {
        NativeRuntime.ensureConfigured();
    }

    @Test
    void poolingThatTilesTheInputMatchesLibnd4j() {
        assertMatchesLibnd4j(2, 3, 8, 12, new int[] {2, 2}, false, new Random(1));
        assertMatchesLibnd4j(2, 3, 8, 12, new int[] {2, 2}, true, new Random(2));
    }

    @Test
    void rowsAndColumnsPastTheLastWholeWindowGetNoGradient() {
        // 44 with pool 4 tiles exactly, 45 with pool 2 leaves a row and a column out, 7x10 with 3x4 leaves 1 and 2
        assertMatchesLibnd4j(2, 2, 44, 44, new int[] {4, 4}, true, new Random(3));
        assertMatchesLibnd4j(2, 2, 45, 45, new int[] {2, 2}, true, new Random(4));
        assertMatchesLibnd4j(3, 2, 7, 10, new int[] {3, 4}, false, new Random(5));
        INDArray input = Nd4j.rand(DataType.FLOAT, 1, 1, 45, 45).addi(1.0); // all positive: every window passes
        TiledMaxPooling pooling = new TiledMaxPooling(new int[] {2, 2}, true);
        pooling.forward(input, Nd4j.create(DataType.FLOAT, 1, 1, 22, 22));
        INDArray inputGradient = Nd4j.valueArrayOf(new long[] {1, 1, 45, 45}, Float.NaN, DataType.FLOAT);
        pooling.backward(Nd4j.ones(DataType.FLOAT, 1, 1, 22, 22), inputGradient);
        assertThat(inputGradient.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(44),
                NDArrayIndex.all()).sumNumber().doubleValue()).as("last row").isZero();
        assertThat(inputGradient.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.point(44)).sumNumber().doubleValue()).as("last column").isZero();
        assertThat(inputGradient.sumNumber().doubleValue()).as("one gradient per window").isEqualTo(22.0 * 22.0);
    }

    @Test
    void tiesGiveTheGradientToTheFirstPositionInRowMajorOrderAsLibnd4jDoes() {
        INDArray input = Nd4j.create(new float[] {
            1, 1, 0, 2, 3, 3,
            1, 1, 2, 0, 3, 3,
            -1, -1, 5, 5, 0, 0,
            -1, -2, 5, 5, 0, 0}, new long[] {1, 1, 4, 6}, 'c');
        INDArray outputGradient = Nd4j.create(new float[] {10, 20, 30, 40, 50, 60}, new long[] {1, 1, 2, 3}, 'c');
        TiledMaxPooling pooling = new TiledMaxPooling(new int[] {2, 2}, false);
        pooling.forward(input, Nd4j.create(DataType.FLOAT, 1, 1, 2, 3));
        INDArray inputGradient = Nd4j.create(DataType.FLOAT, 1, 1, 4, 6);
        pooling.backward(outputGradient, inputGradient);
        assertThat(inputGradient.data().asFloat()).containsExactly(
                10, 0, 0, 20, 30, 0,
                0, 0, 0, 0, 0, 0,
                40, 0, 50, 0, 60, 0,
                0, 0, 0, 0, 0, 0);
        // and the same on many windows of few distinct values, against libnd4j, with and without the ReLU
        Random random = new Random(6);
        assertMatchesLibnd4j(2, 3, 12, 12, new int[] {2, 2}, false, random, () -> random.nextInt(3) - 1);
        assertMatchesLibnd4j(2, 3, 12, 12, new int[] {3, 3}, true, random, () -> random.nextInt(3) - 1);
    }

    @Test
    void theDeferredReluZeroesOutputsWhoseMaximumIsNotPositiveAndTheirGradients() {
        INDArray input = Nd4j.create(new float[] {-1, -2, 0, -3, 4, -1, -3, -4, 0, 0, 2, 1}, new long[] {1, 1, 2, 6},
                'c');
        TiledMaxPooling pooling = new TiledMaxPooling(new int[] {2, 2}, true);
        INDArray output = Nd4j.create(DataType.FLOAT, 1, 1, 1, 3);
        pooling.forward(input, output);
        assertThat(output.data().asFloat()).containsExactly(0, 0, 4);
        INDArray inputGradient = Nd4j.create(DataType.FLOAT, 1, 1, 2, 6);
        pooling.backward(Nd4j.create(new float[] {7, 8, 9}, new long[] {1, 1, 1, 3}, 'c'), inputGradient);
        assertThat(inputGradient.data().asFloat()).containsExactly(0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void anInputViewOfConsecutiveImagesIsReadFromItsOffset() {
        INDArray batch = Nd4j.rand(DataType.FLOAT, 5, 2, 6, 6).subi(0.5);
        INDArray share = batch.get(NDArrayIndex.interval(3, 5));
        assertThat(share.offset()).isPositive();
        assertThat(TiledMaxPooling.applies(new int[] {2, 2}, new int[] {2, 2}, share)).isTrue();
        assertMatchesLibnd4j(share, new int[] {2, 2}, true, Nd4j.rand(DataType.FLOAT, 2, 2, 3, 3));
    }

    @Test
    void onlyPoolingsWhoseStrideIsTheirKernelApply() {
        INDArray input = Nd4j.rand(DataType.FLOAT, 1, 1, 8, 8);
        assertThat(TiledMaxPooling.applies(new int[] {2, 2}, new int[] {2, 2}, input)).isTrue();
        assertThat(TiledMaxPooling.applies(new int[] {3, 3}, new int[] {2, 2}, input)).isFalse();
        assertThat(TiledMaxPooling.applies(new int[] {2, 2}, new int[] {1, 1}, input)).isFalse();
        assertThat(TiledMaxPooling.applies(new int[] {12, 12}, new int[] {12, 12}, input)).as("larger than the input")
                .isFalse();
        assertThat(TiledMaxPooling.applies(new int[] {2, 2}, new int[] {2, 2}, input.permute(0, 1, 3, 2)))
                .as("not c-ordered").isFalse();
    }

    private static void assertMatchesLibnd4j(int images, int channels, int height, int width, int[] kernel,
                                             boolean relu, Random random) {
        assertMatchesLibnd4j(images, channels, height, width, kernel, relu, random,
                () -> (float) random.nextGaussian());
    }

    private static void assertMatchesLibnd4j(int images, int channels, int height, int width, int[] kernel,
                                             boolean relu, Random random, FloatSource values) {
        INDArray input = Nd4j.create(DataType.FLOAT, images, channels, height, width);
        INDArray outputGradient = Nd4j.create(DataType.FLOAT, images, channels, height / kernel[0],
                width / kernel[1]);
        fill(input, values);
        fill(outputGradient, () -> (float) random.nextGaussian());
        assertMatchesLibnd4j(input, kernel, relu, outputGradient);
    }

    /** Compares the Java pooling with libnd4j's maxpool2d (+ relu) and maxpool2d_bp (+ relu_bp). */
    private static void assertMatchesLibnd4j(INDArray input, int[] kernel, boolean relu, INDArray outputGradient) {
        long[] outputShape = outputGradient.shape();
        long[] arguments = {kernel[0], kernel[1], kernel[0], kernel[1], 0, 0, 1, 1, 0, 0, 0};
        INDArray expectedPooled = Nd4j.create(DataType.FLOAT, outputShape);
        NativeOps.bind("test", "maxpool2d", arguments).run(new INDArray[] {input}, expectedPooled);
        INDArray expectedOutput = expectedPooled.dup();
        INDArray gradient = outputGradient.dup();
        if (relu) {
            NativeOps.bindWithFloat("test", "relu", 0.0).run(new INDArray[] {expectedPooled}, expectedOutput);
            NativeOps.bindWithFloat("test", "relu_bp", 0.0).run(new INDArray[] {expectedPooled, gradient}, gradient);
        }
        INDArray expectedInputGradient = Nd4j.create(DataType.FLOAT, input.shape());
        NativeOps.bind("test", "maxpool2d_bp", arguments).run(new INDArray[] {input, gradient},
                expectedInputGradient);

        assertThat(TiledMaxPooling.applies(kernel, kernel, input)).isTrue();
        TiledMaxPooling pooling = new TiledMaxPooling(kernel, relu);
        INDArray output = Nd4j.valueArrayOf(outputShape, Float.NaN, DataType.FLOAT);
        pooling.forward(input, output);
        INDArray inputGradient = Nd4j.valueArrayOf(input.shape(), Float.NaN, DataType.FLOAT);
        pooling.backward(outputGradient, inputGradient);
        assertThat(output.data().asFloat()).as("pooled").containsExactly(expectedOutput.data().asFloat());
        assertThat(inputGradient.data().asFloat()).as("input gradient")
                .containsExactly(expectedInputGradient.data().asFloat());
    }

    private static void fill(INDArray array, FloatSource values) {
        float[] data = new float[(int) array.length()];
        for (int i = 0; i < data.length; i++) {
            data[i] = values.next();
        }
        array.assign(Nd4j.create(data, array.shape(), 'c'));
    }

    /** A source of test values. */
    private interface FloatSource {
        float next();
    }
}
