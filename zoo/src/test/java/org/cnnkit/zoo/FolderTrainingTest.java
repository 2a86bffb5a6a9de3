package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.BatchDecoder;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trains once on a generated image folder, then checks prediction, evaluation and the save/load round trip. */
class FolderTrainingTest {

    private static final InputShape SHAPE = new InputShape(24, 24, 1);

    @TempDir
    static Path root;

    private static Path data;
    private static TrainingResult result;

    @BeforeAll
    static void train() {
        data = ImageFolders.write(root.resolve("data"), 30, 32, 1);
        result = ClassifierTrainer.builder()
                .setEpochs(4)
                .optInputShape(SHAPE)
                .optLearningRate(3e-3)
                .optBatchSize(8)
                .optValidationSplit(0.25)
                .optAugmentation(Augmentation.builder().optRotationRange(5).optZoomRange(0.05).build())
                .optSeed(3)
                .build()
                .train(data);
    }

    @Test
    void trainsOnTheFolderAndValidatesOnHeldOutFiles() {
        ClassificationMetrics validation = result.validation().orElseThrow();

        assertThat(validation.count()).isEqualTo(24);
        assertThat(validation.accuracy()).isGreaterThanOrEqualTo(0.9);
        assertThat(result.classifier().classNames()).isEqualTo(ImageFolders.CLASSES);
        assertThat(result.classifier().inputShape()).isEqualTo(SHAPE);
        assertThat(result.history().epochs()).hasSize(4);
        assertThat(result.classifier().provenance().dataset()).contains("90 images").contains("66 for training");
        assertThat(result.classifier().provenance().settings()).containsKey("augmentation");
    }

    @Test
    void predictsFilesAndInMemoryImagesAlike() throws IOException {
        ImageClassifier classifier = result.classifier();
        Path file = data.resolve("top").resolve("000.png");
        BufferedImage image = ImageIO.read(file.toFile());

        Prediction fromFile = classifier.predict(file);
        Prediction fromMemory = classifier.predict(image);

        assertThat(fromFile.file()).isEqualTo(file);
        assertThat(fromMemory.file()).isNull();
        assertThat(fromFile.best().label()).isEqualTo("top");
        assertThat(fromFile.top()).hasSize(3).isEqualTo(fromMemory.top());
        assertThat(fromFile.top()).isSortedAccordingTo(
                (a, b) -> Double.compare(b.probability(), a.probability()));
        assertThat(fromFile.top().stream().mapToDouble(ScoredLabel::probability).sum())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(classifier.predict(file, 1).top()).hasSize(1).first().isEqualTo(fromFile.best());
        assertThatThrownBy(() -> classifier.predict(file, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void predictsABatchLargerThanOneNetworkCallInOrder() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String cls : ImageFolders.CLASSES) {
            try (Stream<Path> listing = Files.list(data.resolve(cls))) {
                listing.sorted().forEach(files::add);
            }
        }
        assertThat(files.size()).isGreaterThan(ImageClassifier.BATCH_SIZE);

        List<Prediction> predictions = result.classifier().predict(files, 2);

        assertThat(predictions).extracting(Prediction::file).isEqualTo(files);
        // alone or in a batch: the same ranking; the last float bits may differ with the batch size
        Prediction alone = result.classifier().predict(files.get(40), 2);
        assertThat(predictions.get(40).top()).extracting(ScoredLabel::label)
                .isEqualTo(alone.top().stream().map(ScoredLabel::label).toList());
        assertThat(predictions.get(40).best().probability())
                .isCloseTo(alone.best().probability(), org.assertj.core.data.Offset.offset(1e-5));
        long right = predictions.stream()
                .filter(p -> p.file().getParent().getFileName().toString().equals(p.best().label())).count();
        assertThat(right).isGreaterThanOrEqualTo((long) (0.9 * files.size()));
    }

    @Test
    void savedAndLoadedModelPredictsTheSameProbabilities() {
        Path file = root.resolve("model.cnnkit");
        Path image = data.resolve("left").resolve("003.png");

        result.classifier().save(file);
        ImageClassifier loaded = ImageClassifier.load(file);

        assertThat(loaded.predict(image)).isEqualTo(result.classifier().predict(image));
        assertThat(loaded.evaluate(ImageFolder.scan(data)).confusionMatrix())
                .isDeepEqualTo(result.classifier().evaluate(ImageFolder.scan(data)).confusionMatrix());
    }

    @Test
    void evaluateRefusesAFolderWithOtherClasses() throws IOException {
        Path other = Files.createDirectories(root.resolve("other"));
        ImageFolders.write(other, 2, 32, 5);
        Files.move(other.resolve("top"), other.resolve("bottom"));

        assertThatThrownBy(() -> result.classifier().evaluate(ImageFolder.scan(other)))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(other.toString())
                .hasMessageContaining("[bottom, left, right]")
                .hasMessageContaining("[left, right, top]");
    }

    @Test
    void evaluateSkipsFilesThatCannotBeDecodedButPredictReportsThem() throws IOException {
        Path broken = Files.createDirectories(root.resolve("broken"));
        ImageFolders.write(broken, 3, 32, 9);
        Path bad = Files.writeString(broken.resolve("left").resolve("bad.png"), "not a png");

        ClassificationMetrics metrics = result.classifier().evaluate(ImageFolder.scan(broken));

        assertThat(metrics.count()).isEqualTo(9);
        assertThatThrownBy(() -> result.classifier().predict(bad))
                .isInstanceOf(ImageDecodingException.class).hasMessageContaining("bad.png");
    }

    @Test
    void predictReadableAndEvaluateReadableGoOnPastUnreadableFilesAndReturnThemWithTheReason() throws IOException {
        Path broken = Files.createDirectories(root.resolve("readable"));
        ImageFolders.write(broken, 2, 32, 4);
        Path bad = Files.writeString(broken.resolve("left").resolve("bad.png"), "not a png");
        Path empty = Files.write(broken.resolve("right").resolve("empty.jpg"), new byte[0]);
        List<Path> files = ImageFolder.scan(broken).images().stream().map(LabeledImage::path).toList();

        PredictionResult predicted = result.classifier().predictReadable(files, 2);
        EvaluationResult evaluated = result.classifier().evaluateReadable(ImageFolder.scan(broken));

        assertThat(predicted.predictions()).extracting(Prediction::file)
                .containsExactlyElementsOf(files.stream().filter(f -> !f.equals(bad) && !f.equals(empty)).toList());
        assertThat(predicted.skipped()).extracting(BatchDecoder.Unreadable::file).containsExactlyInAnyOrder(bad, empty);
        assertThat(predicted.skipped()).allSatisfy(s -> assertThat(s.reason()).contains(s.file().toString()));
        assertThat(evaluated.metrics().count()).isEqualTo(6);
        assertThat(evaluated.skipped()).extracting(BatchDecoder.Unreadable::file).containsExactly(bad, empty);
        assertThat(evaluated.skipped().get(1).reason()).contains("empty");
    }

    @Test
    void trainingListsTheFilesItSkipped() throws IOException {
        Path withBad = Files.createDirectories(root.resolve("train-with-bad"));
        ImageFolders.write(withBad, 4, 32, 5);
        Path bad = Files.writeString(withBad.resolve("left").resolve("bad.png"), "not a png");
        TrainingResult trained = ClassifierTrainer.builder().setEpochs(1).optInputShape(SHAPE).optBatchSize(4)
                .optValidationSplit(0.25).optSeed(3).build().train(withBad);

        assertThat(trained.skipped()).extracting(BatchDecoder.Unreadable::file).containsExactly(bad);
        assertThat(trained.skipped().get(0).reason()).contains("bad.png");
        assertThat(result.skipped()).isEmpty();
    }

    @Test
    void evaluateRefusesWhenNoImageCanBeDecoded() throws IOException {
        Path left = Files.createDirectories(root.resolve("unreadable").resolve("left"));
        Files.writeString(left.resolve("a.png"), "not a png");
        Files.write(left.resolve("b.jpg"), new byte[0]);
        List<LabeledImage> images = List.of(new LabeledImage(left.resolve("a.png"), 0),
                new LabeledImage(left.resolve("b.jpg"), 0));

        assertThatThrownBy(() -> result.classifier().evaluate(images))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining("none of the 2 images could be decoded");
    }

    @Test
    void earlyStoppingWithoutValidationImagesIsRefused() {
        ClassifierTrainer trainer = ClassifierTrainer.builder().setEpochs(2).optInputShape(SHAPE)
                .optValidationSplit(0).optEarlyStopping(1).build();
        assertThatThrownBy(() -> trainer.train(data))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no validation images");
    }

}
