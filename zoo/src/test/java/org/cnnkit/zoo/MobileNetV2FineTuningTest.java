package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class MobileNetV2FineTuningTest {

    private static final MobileNetV2 ARCHITECTURE = MobileNetV2.builder().optAlpha(0.35)
            .setInputShape(InputShape.rgb(100)).optSeed(3).build();

    /** A base with random weights and random batch-normalization statistics, as pretrained ones would differ. */
    private static ComputationGraph base() {
        ComputationGraph base = ARCHITECTURE.newGraph();
        Nd4j.getRandom().setSeed(21);
        for (Layer layer : base.getLayers()) {
            if (layer.conf().getLayer() instanceof BatchNormalization) {
                layer.getParam("mean").assign(Nd4j.randn(DataType.FLOAT, layer.getParam("mean").shape()).muli(0.1));
                layer.getParam("var").assign(Nd4j.rand(DataType.FLOAT, layer.getParam("var").shape()).addi(0.5));
            }
        }
        return base;
    }

    private static List<DataSet> batches(int count) {
        Nd4j.getRandom().setSeed(22);
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            INDArray labels = Nd4j.zeros(DataType.FLOAT, 8, 3);
            for (int i = 0; i < 8; i++) {
                labels.putScalar(i, (i + b) % 3, 1);
            }
            batches.add(new DataSet(Nd4j.rand(DataType.FLOAT, 8, 3, 100, 100).muli(2).subi(1), labels));
        }
        return batches;
    }

    private static MobileNetV2FineTuning fineTuning(ComputationGraph base, boolean fastPath) {
        return MobileNetV2FineTuning.builder().setArchitecture(ARCHITECTURE).setNumClasses(3).optWeightsFrom(base)
                .optTrainableBlocks(3).optLearningRate(1e-3).optFastPath(fastPath).build();
    }

    @Test
    void theFastPathGivesTheWeightsOfDl4jsFitOfTheWholeGraphAfterThreeSteps() {
        ComputationGraph base = base();
        MobileNetV2FineTuning plain = fineTuning(base, false);
        MobileNetV2FineTuning fast = fineTuning(base, true);
        assertThat(plain.usesFastPath()).isFalse();
        assertThat(fast.usesFastPath()).isTrue();
        assertThat(fast.usesCompiledTrainingStep()).as("the tail as a compiled training step").isTrue();
        assertThat(fast.network().params()).as("same start").isEqualTo(plain.network().params());
        INDArray start = plain.network().params().dup();
        for (DataSet batch : batches(3)) {
            double plainLoss = plain.fit(batch);
            double fastLoss = fast.fit(batch);
            assertThat(fastLoss).isCloseTo(plainLoss, org.assertj.core.data.Offset.offset(1e-5));
        }
        INDArray plainWeights = plain.network().params();
        INDArray fastWeights = fast.network().params();
        assertThat(plainWeights.sub(start).amaxNumber().doubleValue()).as("training moved the weights")
                .isGreaterThan(1e-4);
        for (Layer layer : plain.network().getLayers()) {
            if (layer.numParams() == 0) {
                continue;
            }
            String name = layer.conf().getLayer().getLayerName();
            double difference = layer.params().sub(fast.network().getLayer(name).params()).amaxNumber().doubleValue();
            assertThat(difference).as("layer %s", name).isLessThanOrEqualTo(1e-5);
        }
        assertThat(fastWeights.sub(plainWeights).amaxNumber().doubleValue()).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void stepsOverASequenceOverlapTheFrozenPartAndEqualStepsOneBatchAtATime() {
        ComputationGraph base = base();
        MobileNetV2FineTuning oneByOne = fineTuning(base, true);
        MobileNetV2FineTuning sequence = fineTuning(base, true);
        List<DataSet> batches = batches(4);
        List<Double> oneByOneLosses = new ArrayList<>();
        for (DataSet batch : batches) {
            oneByOneLosses.add(oneByOne.fit(batch));
        }
        List<Double> sequenceLosses = new ArrayList<>();

        sequence.fit(batches.iterator(), sequenceLosses::add);

        assertThat(sequenceLosses).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(sequenceLosses.get(i)).as("loss of step %d", i)
                    .isCloseTo(oneByOneLosses.get(i), org.assertj.core.data.Offset.offset(1e-6));
        }
        assertThat(sequence.network().params().sub(oneByOne.network().params()).amaxNumber().doubleValue())
                .isLessThanOrEqualTo(1e-6);
    }

    @Test
    void aSequenceOnThePlainPathMakesTheSameStepsAsOneBatchAtATime() {
        ComputationGraph base = base();
        MobileNetV2FineTuning oneByOne = fineTuning(base, false);
        MobileNetV2FineTuning sequence = fineTuning(base, false);
        List<DataSet> batches = batches(2);
        for (DataSet batch : batches) {
            oneByOne.fit(batch);
        }
        List<Double> losses = new ArrayList<>();

        sequence.fit(batches.iterator(), losses::add);

        assertThat(losses).hasSize(2);
        assertThat(sequence.network().params().sub(oneByOne.network().params()).amaxNumber().doubleValue())
                .isLessThanOrEqualTo(1e-6);
    }

    @Test
    void onlyTheLastBlocksConv1AndTheHeadLearnAndNoStatisticsMove() {
        ComputationGraph base = base();
        MobileNetV2FineTuning fast = fineTuning(base, true);
        assertThat(fast.frozenUpTo()).isEqualTo("block_13_project_BN");
        for (DataSet batch : batches(2)) {
            fast.fit(batch);
        }
        ComputationGraph network = fast.network();
        assertThat(network.getLayer("block_13_project").params()).isEqualTo(base.getLayer("block_13_project").params());
        assertThat(network.getLayer("block_14_expand").params())
                .isNotEqualTo(base.getLayer("block_14_expand").params());
        assertThat(network.getLayer("Conv_1").params()).isNotEqualTo(base.getLayer("Conv_1").params());
        for (String bn : List.of("block_14_expand_BN", "block_16_project_BN", "Conv_1_bn")) {
            assertThat(network.getLayer(bn).getParam("mean")).as(bn).isEqualTo(base.getLayer(bn).getParam("mean"));
            assertThat(network.getLayer(bn).getParam("var")).as(bn).isEqualTo(base.getLayer(bn).getParam("var"));
            assertThat(network.getLayer(bn).getParam("gamma")).as(bn)
                    .isNotEqualTo(base.getLayer(bn).getParam("gamma"));
        }
    }

    @Test
    void theTrainedNetworkHasPlainBatchNormalizationsAndGivesTheSameOutputs() {
        MobileNetV2FineTuning fast = fineTuning(base(), true);
        DataSet batch = batches(1).get(0);
        fast.fit(batch);
        ComputationGraph trained = fast.trainedNetwork();
        for (Layer layer : trained.getLayers()) {
            assertThat(layer.conf().getLayer()).isNotInstanceOf(InferenceModeBatchNormalization.class);
        }
        INDArray expected = fast.network().outputSingle(false, batch.getFeatures());
        assertThat(trained.outputSingle(false, batch.getFeatures()).sub(expected).amaxNumber().doubleValue())
                .isLessThan(1e-5);
    }

    @Test
    void badSettingsAreRefusedWithTheirValues() {
        assertThatThrownBy(() -> MobileNetV2FineTuning.builder().setNumClasses(3).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("setArchitecture");
        assertThatThrownBy(() -> MobileNetV2FineTuning.builder().setArchitecture(ARCHITECTURE).setNumClasses(3)
                .optTrainableBlocks(18).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("18");
    }
}
