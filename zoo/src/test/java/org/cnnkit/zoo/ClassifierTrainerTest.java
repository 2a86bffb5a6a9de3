package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.core.progress.Progress;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

class ClassifierTrainerTest {

    private static final InputShape SHAPE = new InputShape(20, 20, 1);
    private static final List<String> CLASSES = List.of("left", "right", "top");

    private static ClassifierTrainer.Builder trainer(int epochs, long seed) {
        return ClassifierTrainer.builder().setEpochs(epochs).optInputShape(SHAPE).optSeed(seed);
    }

    @Test
    void learnsASimpleProblemAndReportsEveryEpoch() {
        List<EpochStats> heard = new ArrayList<>();
        List<Progress> progress = new ArrayList<>();
        TrainingResult result = trainer(4, 1)
                .optLearningRate(3e-3)
                .optEpochListener((stats, epochs) -> heard.add(stats))
                .optProgressListener(progress::add)
                .build()
                .train(SyntheticImages.iterator(SyntheticImages.examples(60, 20, 1, 0), 15),
                        SyntheticImages.iterator(SyntheticImages.examples(30, 20, 2, 0), 16), CLASSES);

        ClassificationMetrics validation = result.validation().orElseThrow();
        assertThat(validation.accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(validation.count()).isEqualTo(30);
        assertThat(result.history().epochs()).hasSize(4).isEqualTo(heard);
        assertThat(result.history().last().validationAccuracy()).isEqualTo(validation.accuracy());
        assertThat(result.history().last().trainLoss()).isLessThan(result.history().epochs().get(0).trainLoss());
        assertThat(result.history().bestEpoch()).isEqualTo(4);
        assertThat(result.history().stoppedEarly()).isFalse();
        assertThat(progress).anyMatch(p -> p.task().equals("epoch 4/4") && p.done() == 60);
        assertThat(result.classifier().classNames()).isEqualTo(CLASSES);
        assertThat(result.classifier().provenance().model()).isEqualTo("seedcnn-notebook");
        assertThat(result.classifier().provenance().seed()).isEqualTo(1);
        assertThat(result.classifier().provenance().settings()).containsEntry("epochs", "4");
        assertThat(result.classifier().network().getListeners()).isEmpty();
    }

    @Test
    void trainingAccuracyComesFromTheForwardPassOfFit() {
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 5);
        BatchAccuracy accuracy = new BatchAccuracy(network);
        network.setListeners(accuracy);
        List<DataSet> examples = SyntheticImages.examples(30, 20, 3, 0);
        for (int step = 0; step < 3; step++) {
            DataSet batch = DataSet.merge(examples.subList(step * 10, step * 10 + 10));
            long expected = BatchAccuracy.countCorrect(network.outputSingle(false, batch.getFeatures()),
                    batch.getLabels());

            accuracy.expect(batch.getLabels());
            network.fit(batch);

            assertThat(accuracy.observed()).isTrue();
            assertThat(accuracy.correct()).isEqualTo(expected);
        }
    }

    @Test
    void sameSeedGivesIdenticalWeightsAndAnotherSeedDoesNot() {
        float[] first = trainOnce(9);
        float[] second = trainOnce(9);
        float[] other = trainOnce(10);

        assertThat(second).containsExactly(first);
        assertThat(other).isNotEqualTo(first);
    }

    private static float[] trainOnce(long seed) {
        return trainer(2, seed).build()
                .train(SyntheticImages.iterator(SyntheticImages.examples(30, 20, 4, 0), 10), null, CLASSES)
                .classifier().network().params().data().asFloat();
    }

    @Test
    void trainsThroughTheCompiledStepToTheWeightsOfDl4jFit() {
        List<DataSet> examples = SyntheticImages.examples(30, 20, 4, 0);
        float[] trained = trainer(2, 9).build()
                .train(SyntheticImages.iterator(examples, 10), null, CLASSES)
                .classifier().network().params().data().asFloat();

        ComputationGraph reference = SeedCnn.NOTEBOOK.create(SHAPE, 3, 9);
        reference.setLearningRate(SeedCnn.DEFAULT_LEARNING_RATE);
        var batches = SyntheticImages.iterator(examples, 10);
        for (int epoch = 0; epoch < 2; epoch++) {
            batches.reset();
            while (batches.hasNext()) {
                reference.fit(batches.next());
            }
            reference.incrementEpochCount();
        }
        float[] expected = reference.params().data().asFloat();

        assertThat(org.cnnkit.core.training.CompiledTrainingStep.of(reference)).isPresent();
        assertThat(trained).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(trained[i]).as("parameter " + i)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void earlyStoppingStopsWhenValidationLossRisesAndKeepsTheBestWeights() {
        // Validation labels are shifted by one class: the better the network learns, the worse its validation loss.
        var validation = SyntheticImages.iterator(SyntheticImages.examples(30, 20, 6, 1), 16);
        TrainingResult result = trainer(10, 3).optLearningRate(3e-3).optEarlyStopping(2).build()
                .train(SyntheticImages.iterator(SyntheticImages.examples(45, 20, 5, 0), 15), validation, CLASSES);

        TrainingHistory history = result.history();
        assertThat(history.stoppedEarly()).isTrue();
        assertThat(history.epochs()).hasSize(history.bestEpoch() + 2);
        double bestLoss = history.epochs().stream().mapToDouble(EpochStats::validationLoss).min().orElseThrow();
        assertThat(history.best().validationLoss()).isEqualTo(bestLoss);
        double[] kept = ClassifierTrainer.validate(result.classifier().network(), validation, 3);
        assertThat(kept[0]).isCloseTo(bestLoss, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(kept[0]).isLessThan(history.last().validationLoss());
    }

    @Test
    void learningRateDecayLowersTheRateEveryEpoch() {
        TrainingResult result = trainer(3, 2).optLearningRateDecay(0.5).build()
                .train(SyntheticImages.iterator(SyntheticImages.examples(30, 20, 7, 0), 15), null, CLASSES);

        ComputationGraph network = result.classifier().network();
        // the third epoch (index 2) trains at 1e-3 * 0.5^2
        assertThat(network.getLayer("conv1").conf().getLayer().getUpdaterByParam("W").getLearningRate(0, 2))
                .isCloseTo(1e-3 * 0.25, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(result.classifier().provenance().settings()).containsEntry("learning_rate_decay", "0.5");
        assertThatThrownBy(() -> trainer(1, 1).optLearningRateDecay(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("decay");
    }

    @Test
    void refusesLabelsThatDoNotMatchTheClassNames() {
        ClassifierTrainer trainer = trainer(1, 1).build();
        var data = SyntheticImages.iterator(SyntheticImages.examples(9, 20, 1, 0), 9);
        assertThatThrownBy(() -> trainer.train(data, null, List.of("a", "b")))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("[9, 3]").hasMessageContaining("2 classes");
    }

    @Test
    void refusesBadSettingsNamingThem() {
        assertThatThrownBy(() -> ClassifierTrainer.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epochs");
        assertThatThrownBy(() -> trainer(1, 1).optBatchSize(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch size");
        assertThatThrownBy(() -> trainer(1, 1).optLearningRate(-1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("learning rate");
        assertThatThrownBy(() -> trainer(1, 1).optValidationSplit(1.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validation split");
        assertThatThrownBy(() -> trainer(1, 1).optEarlyStopping(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("patience");
        var data = SyntheticImages.iterator(SyntheticImages.examples(9, 20, 1, 0), 9);
        assertThatThrownBy(() -> trainer(1, 1).optEarlyStopping(1).build().train(data, null, CLASSES))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("validation data");
    }

    @Test
    void refusesAFolderWithASingleClassNamingIt(@TempDir Path dir) throws Exception {
        Path root = ImageFolders.write(dir.resolve("one"), 2, 20, 1);
        for (String other : List.of("right", "top")) {
            try (var files = Files.list(root.resolve(other))) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(root.resolve(other));
        }
        assertThatThrownBy(() -> trainer(1, 1).build().train(root))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("at least 2 class folders")
                .hasMessageContaining(root.toString())
                .hasMessageContaining("[left]");
    }
}
