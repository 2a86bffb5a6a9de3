package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class SeedCnnTest {

    @Test
    void notebookNetworkMatchesTheKerasModelAt100x100() {
        ComputationGraph net = SeedCnn.NOTEBOOK.create(InputShape.rgb(100), 3, 1);

        assertThat(SeedCnn.NOTEBOOK.flattenedFeatures(InputShape.rgb(100))).isEqualTo(12 * 11 * 11);
        DenseLayer dense = (DenseLayer) net.getLayer("dense").conf().getLayer();
        assertThat(dense.getNIn()).isEqualTo(1452);
        // conv1 5*5*3*24+24, conv2 5*5*24*12+12, dense 1452*128+128, output 128*3+3 (the Keras summary)
        assertThat(net.numParams()).isEqualTo(1824 + 7212 + 185_984 + 387);
        assertThat(net.getConfiguration().getNetworkInputs()).containsExactly("input");
        assertThat(net.getConfiguration().getNetworkOutputs()).containsExactly("output");
        assertThat(net.getLayer("conv1")).isNotNull();
        assertThat(net.getLayer("pool2")).isNotNull();
    }

    @Test
    void outputIsAProbabilityPerClass() {
        ComputationGraph net = SeedCnn.NOTEBOOK.create(new InputShape(28, 28, 1), 4, 1);

        INDArray out = net.outputSingle(false, Nd4j.rand(DataType.FLOAT, 5, 1, 28, 28));

        assertThat(out.shape()).containsExactly(5, 4);
        INDArray sums = out.sum(1);
        for (int i = 0; i < 5; i++) {
            assertThat(sums.getDouble(i)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void deeperPresetHasThreeConvolutionBlocks() {
        ComputationGraph net = SeedCnn.DEEPER.create(InputShape.rgb(100), 3, 1);

        // 100 -> 98 -> 49 -> 47 -> 23 -> 21 -> 10
        assertThat(SeedCnn.DEEPER.flattenedFeatures(InputShape.rgb(100))).isEqualTo(128 * 10 * 10);
        assertThat(net.getLayer("conv3")).isNotNull();
        assertThat(net.getLayer("pool3")).isNotNull();
        assertThat(((DenseLayer) net.getLayer("dense").conf().getLayer()).getNIn()).isEqualTo(12_800);
        assertThat(SeedCnn.DEEPER.modelName()).isEqualTo("seedcnn-deeper");
    }

    @Test
    void sameSeedGivesSameInitialWeightsAndOtherSeedDoesNot() {
        InputShape shape = new InputShape(28, 28, 1);
        INDArray a = SeedCnn.NOTEBOOK.create(shape, 3, 7).params();
        INDArray b = SeedCnn.NOTEBOOK.create(shape, 3, 7).params();
        INDArray c = SeedCnn.NOTEBOOK.create(shape, 3, 8).params();

        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void trainingReusesTheForwardConvolutionsAndLearnsTheSameWeightsAsWithoutTheCache() {
        ComputationGraph cached = SeedCnn.NOTEBOOK.create(new InputShape(32, 32, 3), 3, 5);
        ComputationGraphConfiguration plain = cached.getConfiguration().clone();
        plain.setCacheMode(CacheMode.NONE);
        plain.getVertices().values().stream().filter(LayerVertex.class::isInstance)
                .forEach(v -> ((LayerVertex) v).getLayerConf().setCacheMode(CacheMode.NONE));
        ComputationGraph uncached = new ComputationGraph(plain);
        uncached.init(cached.params().dup(), true);
        NativeRuntime.accelerate(uncached);
        Nd4j.getRandom().setSeed(3);
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 3, 32, 32);
        INDArray y = Nd4j.eye(3).getRows(0, 1, 2, 0, 1, 2, 0, 1).castTo(DataType.FLOAT);

        for (int step = 0; step < 3; step++) {
            cached.fit(new DataSet(x, y));
            uncached.fit(new DataSet(x, y));
        }

        assertThat(cached.getConfiguration().getCacheMode()).isEqualTo(CacheMode.DEVICE);
        assertThat(cached.params().equalsWithEps(uncached.params(), 1e-6)).isTrue();
        assertThat(cached.params().equalsWithEps(SeedCnn.NOTEBOOK.create(new InputShape(32, 32, 3), 3, 5).params(),
                1e-3)).as("training moved the weights").isFalse();
    }

    @Test
    void tooSmallInputIsRefusedWithTheMinimumSize() {
        assertThat(SeedCnn.NOTEBOOK.minimumInputSize()).isEqualTo(20);
        assertThat(SeedCnn.DEEPER.minimumInputSize()).isEqualTo(22);
        SeedCnn.NOTEBOOK.create(new InputShape(20, 20, 1), 2, 1);

        assertThatThrownBy(() -> SeedCnn.NOTEBOOK.create(new InputShape(19, 40, 3), 3, 1))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("19x40x3")
                .hasMessageContaining("seedcnn-notebook")
                .hasMessageContaining("at least 20x20");
        assertThatThrownBy(() -> SeedCnn.DEEPER.create(new InputShape(64, 21, 3), 3, 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("22x22");
        assertThatThrownBy(() -> SeedCnn.NOTEBOOK.create(InputShape.rgb(28), 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2 classes");
    }
}
