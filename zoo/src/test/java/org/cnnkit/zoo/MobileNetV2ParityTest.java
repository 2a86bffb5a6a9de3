package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.zoo.weights.KerasWeights;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native MobileNetV2 with Keras weights computes the same features as DL4J's import of the Keras model, on
 * real photos.
 */
class MobileNetV2ParityTest {

    private static final Logger LOG = LoggerFactory.getLogger(MobileNetV2ParityTest.class);
    private static final List<String> PHOTOS = List.of("africa/0.jpg", "buses/310.jpg", "horses/710.jpg");

    @Test
    void nativeNetworkWithLoadedWeightsMatchesKerasImportOnRealPhotos() throws Exception {
        TestAssets.mobileNetWeights();
        ComputationGraph reference = KerasModelImport.importKerasModelAndWeights(
                TestAssets.mobileNetModel().toString(), false);

        for (int size : new int[] {224, 96}) {
            ComputationGraph graph = MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(size))
                    .build().newGraph();
            try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
                weights.loadInto(graph);
            }
            INDArray input = TestAssets.corelBatch(size, PHOTOS);

            INDArray ours = graph.outputSingle(input);
            INDArray theirs = reference.outputSingle(input.permute(0, 2, 3, 1).dup('c')).permute(0, 3, 1, 2);

            int cells = size / 32;
            assertThat(ours.shape()).containsExactly(PHOTOS.size(), 1280, cells, cells);
            assertThat(theirs.shape()).containsExactly(ours.shape());
            double maxDiff = ours.sub(theirs).amaxNumber().doubleValue();
            LOG.info("MobileNetV2 alpha 0.35 at {}x{}: max |native - Keras import| = {} (max feature {})",
                    size, size, maxDiff, ours.maxNumber());
            assertThat(ours.maxNumber().doubleValue()).as("features are not all zero").isGreaterThan(0.1);
            assertThat(maxDiff).isLessThan(1e-4);

            // The inference graph with batch normalization and padding folded into the convolutions: same features.
            INDArray folded = InferenceFolding.fold(graph, InputShape.rgb(size)).outputSingle(input);
            double foldedDiff = folded.sub(theirs).amaxNumber().doubleValue();
            LOG.info("folded batch normalization at {}x{}: max |folded - Keras import| = {}", size, size, foldedDiff);
            assertThat(foldedDiff).isLessThan(2e-4);

            if (size == 96) { // control: without the loaded weights the features differ, so the check can fail
                INDArray random = MobileNetV2.builder().optAlpha(0.35).setInputShape(InputShape.rgb(size)).build()
                        .newGraph().outputSingle(input);
                assertThat(random.sub(theirs).amaxNumber().doubleValue()).isGreaterThan(0.1);
            }
        }
    }
}
