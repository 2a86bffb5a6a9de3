package org.cnnkit.zoo.weights;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class StandardConvertersTest {

    @Test
    void convKernelGoesFromHwioToOihw() {
        INDArray hwio = Nd4j.rand(3, 5, 2, 4);
        INDArray oihw = StandardConverters.convKernelToDl4j(hwio);
        assertThat(oihw.shape()).containsExactly(4, 2, 3, 5);
        assertThat(oihw.getFloat(3, 1, 2, 4)).isEqualTo(hwio.getFloat(2, 4, 1, 3));
        assertThat(StandardConverters.convKernelShapeToKeras(oihw.shape())).containsExactly(3, 5, 2, 4);
    }

    @Test
    void reorderedDenseKernelGivesTheSameOutputOnChannelsFirstFlattening() {
        int c = 3;
        int h = 2;
        int w = 4;
        INDArray map = Nd4j.rand(c, h, w);
        INDArray kerasKernel = Nd4j.rand(h * w * c, 6);
        INDArray keras = map.permute(1, 2, 0).dup('c').reshape(1, h * w * c).mmul(kerasKernel);
        INDArray dl4j = map.dup('c').reshape(1, c * h * w)
                .mmul(StandardConverters.denseKernelFromHwcToChw(kerasKernel, h, w, c));
        assertThat(Transforms.abs(keras.sub(dl4j)).maxNumber().doubleValue()).isLessThan(1e-5);
        assertThat(Transforms.abs(keras.sub(map.dup('c').reshape(1, c * h * w).mmul(kerasKernel)))
                .maxNumber().doubleValue()).as("without reordering the result differs").isGreaterThan(1e-3);
    }

    @Test
    void log10StdRecoversTheVariance() {
        INDArray variance = Nd4j.createFromArray(0.5f, 2f, 10f);
        INDArray log10Std = StandardConverters.varianceToLog10Std(variance, 1e-3);
        INDArray back = Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0f), log10Std).mul(
                Transforms.pow(Nd4j.valueArrayOf(log10Std.shape(), 10.0f), log10Std)).sub(1e-3);
        assertThat(Transforms.abs(back.sub(variance)).maxNumber().doubleValue()).isLessThan(1e-4);
    }

    @Test
    void shortWeightNameDropsLayerPrefixAndIndex() {
        assertThat(KerasWeights.shortName("block_1_expand/kernel:0")).isEqualTo("kernel");
        assertThat(KerasWeights.shortName("bn_Conv1/moving_variance:0")).isEqualTo("moving_variance");
        assertThat(KerasWeights.shortName("fc1_W_1:0")).as("Keras 1 style").isEqualTo("kernel");
        assertThat(KerasWeights.shortName("block1_conv1_b_1:0")).isEqualTo("bias");
        assertThat(KerasWeights.shortName("depthwise_kernel:0")).isEqualTo("depthwise_kernel");
    }
}
