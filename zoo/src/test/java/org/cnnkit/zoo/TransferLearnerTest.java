package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.data.Split;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.weights.KerasWeights;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

class TransferLearnerTest {

    private static final InputShape SHAPE = InputShape.rgb(32);

    @TempDir
    static Path folder;

    private static ImageFolder images;
    private static Split split;

    /** Two classes: a red disc or a blue square at a random place on a noisy dark background. */
    @BeforeAll
    static void writeImages() throws Exception {
        Random random = new Random(3);
        for (String name : List.of("disc", "square")) {
            Path dir = Files.createDirectories(folder.resolve(name));
            for (int i = 0; i < 10; i++) {
                BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                for (int y = 0; y < 40; y += 4) {
                    for (int x = 0; x < 40; x += 4) {
                        g.setColor(new Color(random.nextInt(60), random.nextInt(60), random.nextInt(60)));
                        g.fillRect(x, y, 4, 4);
                    }
                }
                int x = 4 + random.nextInt(14);
                int y = 4 + random.nextInt(14);
                if (name.equals("disc")) {
                    g.setColor(new Color(220 + random.nextInt(35), 30, 30));
                    g.fillOval(x, y, 20, 20);
                } else {
                    g.setColor(new Color(30, 60, 220 + random.nextInt(35)));
                    g.fillRect(x, y, 18, 18);
                }
                g.dispose();
                ImageIO.write(image, "png", dir.resolve(i + ".png").toFile());
            }
        }
        images = ImageFolder.scan(folder);
        split = Split.stratified(images.images(), 0.3, 1);
    }

    private static ImageDataSetIterator iterator(List<LabeledImage> files, Augmentation augmentation) {
        return ImageDataSetIterator.builder().setImages(files).setNumClasses(2).setInputShape(SHAPE)
                .optPreprocessing(Preprocessing.MOBILENET_V2).optAugmentation(augmentation).optBatchSize(8)
                .optWorkers(1).optSeed(5).build();
    }

    private static TransferLearner.Builder learner() {
        return TransferLearner.builder().setWeights(TestAssets.mobileNetWeights()).optAlpha(0.35)
                .optInputShape(SHAPE).optEpochs(10).optBatchSize(8).optLearningRate(3e-3).optSeed(5);
    }

    @Test
    void cachedFeaturesTrainAHeadAndTheSavedClassifierPredictsFromImages() {
        TrainingResult result;
        try (ImageDataSetIterator train = iterator(split.train(), Augmentation.builder().optZoomRange(0.1).build());
                ImageDataSetIterator validation = iterator(split.validation(), Augmentation.none())) {
            result = learner().optViews(2).build().train(train, validation, images.classNames());
        }
        List<EpochStats> epochs = result.history().epochs();
        assertThat(epochs).hasSize(10);
        assertThat(epochs.get(9).trainLoss()).isLessThan(epochs.get(0).trainLoss());
        assertThat(epochs.get(9).validationAccuracy()).isEqualTo(1.0);
        assertThat(result.validation()).hasValueSatisfying(m -> assertThat(m.accuracy()).isEqualTo(1.0));

        // base + head in one graph: images in, probabilities out, base weights as loaded
        ImageClassifier classifier = result.classifier();
        assertThat(classifier.preprocessing()).isEqualTo(Preprocessing.MOBILENET_V2);
        assertThat(classifier.provenance().settings()).containsEntry("views", "2").containsEntry("alpha", "0.35");
        assertBaseLayerUnchanged(classifier.network(), "Conv1", "kernel");
        Path image = split.validation().get(0).path();
        Path file = folder.resolve("transfer.cnnkit");
        classifier.save(file);
        ImageClassifier loaded = ImageClassifier.load(file);
        assertThat(loaded.predict(image).best().label())
                .isEqualTo(images.classNames().get(split.validation().get(0).label()));
        assertThat(loaded.predict(image).best().probability())
                .isEqualTo(classifier.predict(image).best().probability());
    }

    @Test
    void trainingWithTheBaseInTheLoopKeepsTheBaseAndFineTuningTrainsOnlyTheLastBlocks() {
        try (ImageDataSetIterator train = iterator(split.train(), Augmentation.none());
                ImageDataSetIterator validation = iterator(split.validation(), Augmentation.none())) {
            TrainingResult result = learner().optEpochs(2).optFeatureCaching(false).optFineTuning(2, 1e-4, 1).build()
                    .train(train, validation, images.classNames());
            assertThat(result.history().epochs()).hasSize(3).extracting(EpochStats::epoch).containsExactly(1, 2, 3);
            ComputationGraph network = result.classifier().network();
            assertBaseLayerUnchanged(network, "block_1_project", "kernel");
            assertBaseLayerUnchanged(network, "block_14_project", "kernel");
            assertBaseLayerUnchanged(network, "bn_Conv1", "moving_variance");
            try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
                assertThat(network.getLayer("block_16_project").getParam("W"))
                        .as("fine-tuned").isNotEqualTo(weights.read("block_16_project", "kernel").permute(3, 2, 0, 1));
            }
        }
    }

    /** The frozen base keeps the file's weights (BatchNormalization statistics included) through training. */
    private static void assertBaseLayerUnchanged(ComputationGraph network, String layer, String weight) {
        try (KerasWeights weights = KerasWeights.open(TestAssets.mobileNetWeights())) {
            INDArray keras = weights.read(layer, weight);
            INDArray expected = keras.rank() == 4 ? keras.permute(3, 2, 0, 1) : keras;
            String param = weight.equals("kernel") ? "W" : "var";
            assertThat(network.getLayer(layer).getParam(param).reshape(expected.shape()))
                    .as("%s of %s", param, layer).isEqualTo(expected);
        }
    }

    /** The training batches, decoded once, behind an iterator that can be run only once (no reset). */
    private static DataSetIterator oneShotTrainingBatches() {
        List<DataSet> batches = new ArrayList<>();
        try (ImageDataSetIterator train = iterator(split.train(), Augmentation.none())) {
            train.forEachRemaining(batches::add);
        }
        return new ExistingDataSetIterator(batches.iterator());
    }

    private static TransferLearner.Builder untrained() {
        return TransferLearner.builder().optUntrainedBase().optAlpha(0.35).optInputShape(SHAPE).optBatchSize(8)
                .optSeed(5);
    }

    @Test
    void aTrainingIteratorThatCannotBeResetIsRefusedBeforeTrainingWhenMoreThanOnePassIsNeeded() {
        List<TransferLearner.Builder> twoPasses = List.of(
                untrained().optViews(2),
                untrained().optFeatureCaching(false).optEpochs(2),
                untrained().optEpochs(3).optFineTuning(1, 1e-4, 1));
        for (TransferLearner.Builder builder : twoPasses) {
            DataSetIterator train = oneShotTrainingBatches();
            assertThat(train.resetSupported()).isFalse();
            List<EpochStats> epochs = new ArrayList<>();
            TransferLearner learner = builder.optEpochListener((stats, total) -> epochs.add(stats)).build();
            assertThatThrownBy(() -> learner.train(train, null, images.classNames()))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining("cannot be reset")
                    .hasMessageContaining("2 passes");
            assertThat(train.hasNext()).as("no batch taken").isTrue();
            assertThat(epochs).as("no epoch trained").isEmpty();
        }
    }

    @Test
    void aTrainingIteratorThatCannotBeResetServesASinglePass() {
        TrainingResult cached = untrained().optEpochs(3).build()
                .train(oneShotTrainingBatches(), null, images.classNames());
        assertThat(cached.history().epochs()).hasSize(3);
        TrainingResult endToEnd = untrained().optFeatureCaching(false).optEpochs(1).build()
                .train(oneShotTrainingBatches(), null, images.classNames());
        assertThat(endToEnd.history().epochs()).hasSize(1);
    }

    @Test
    void builderRequiresWeightsOrAnExplicitlyUntrainedBase() {
        assertThatThrownBy(() -> TransferLearner.builder().build()).hasMessageContaining("setWeights");
        assertThat(TransferLearner.builder().optUntrainedBase().optInputShape(SHAPE).build().architecture().alpha())
                .isEqualTo(1.0);
        assertThatThrownBy(() -> TransferLearner.builder().optUntrainedBase().optViews(0).build())
                .hasMessageContaining("views");
        assertThatThrownBy(() -> TransferLearner.builder().optUntrainedBase().optFineTuning(18, 1e-4, 1).build())
                .hasMessageContaining("fine-tuning");
    }

    @Test
    void refusesAFolderWithASingleClassBeforeBuildingTheNetwork(@TempDir Path dir) throws Exception {
        Path single = Files.createDirectories(dir.resolve("single").resolve("disc"));
        Files.copy(folder.resolve("disc").resolve("0.png"), single.resolve("0.png"));
        Files.copy(folder.resolve("disc").resolve("1.png"), single.resolve("1.png"));
        // no weights needed: the folder is refused before the network is built
        assertThatThrownBy(() -> TransferLearner.builder().optUntrainedBase().optAlpha(0.35).optInputShape(SHAPE)
                .build().train(single.getParent()))
                .isInstanceOf(org.cnnkit.core.CnnkitException.class)
                .hasMessageContaining("at least 2 class folders")
                .hasMessageContaining(single.getParent().toString());
    }
}
