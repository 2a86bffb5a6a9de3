package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Predicting and evaluating files in batches (the output of each full batch written into one reused array) gives
 * the probabilities of each image predicted alone.
 */
class ImageClassifierBatchesTest {

    private static final InputShape SHAPE = new InputShape(20, 20, 1);

    @TempDir
    Path folder;

    @ParameterizedTest
    @EnumSource(InferenceEngine.class)
    void batchedPredictionsAndEvaluationMatchImagesPredictedOneByOne(InferenceEngine engine) throws IOException {
        // 3 x 25 files: batches of 32, 32 and 11 images
        Path root = ImageFolders.write(folder.resolve("images"), 25, 20, 5);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(f -> f.toString().endsWith(".png")).sorted().toList();
        }
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 7);
        ImageClassifier classifier = ImageClassifier.builder().setNetwork(network).setClassNames(ImageFolders.CLASSES)
                .setInputShape(SHAPE).setPreprocessing(Preprocessing.RESCALE).optEngine(engine).build();

        List<Prediction> batched = classifier.predict(files, 3);

        assertThat(batched).hasSize(75);
        int correct = 0;
        for (int i = 0; i < files.size(); i++) {
            Prediction alone = classifier.predict(ImageIO.read(files.get(i).toFile()), 3);
            assertThat(batched.get(i).file()).isEqualTo(files.get(i));
            for (int k = 0; k < 3; k++) {
                ScoredLabel expected = alone.top().get(k);
                ScoredLabel actual = batched.get(i).top().get(k);
                assertThat(actual.probability()).as("file %d, rank %d", i, k)
                        .isCloseTo(expected.probability(), within(1e-5));
            }
            int label = ImageFolders.CLASSES.indexOf(files.get(i).getParent().getFileName().toString());
            correct += alone.top().get(0).index() == label ? 1 : 0;
        }
        ClassificationMetrics metrics = classifier.evaluate(ImageFolder.scan(root));
        assertThat(metrics.accuracy()).isCloseTo(correct / 75.0, within(1e-9));
    }

    @org.junit.jupiter.api.Test
    void aClassifierWhoseIdleThreadsSpinPredictsWhatASleepingOneAndDl4jDo() throws IOException {
        Path root = ImageFolders.write(folder.resolve("spin"), 4, 20, 5);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(f -> f.toString().endsWith(".png")).sorted().toList();
        }
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 7);
        ImageClassifier.Builder builder = ImageClassifier.builder().setNetwork(network)
                .setClassNames(ImageFolders.CLASSES).setInputShape(SHAPE).setPreprocessing(Preprocessing.RESCALE)
                .optEngine(InferenceEngine.ONNX_RUNTIME);
        List<Prediction> sleeping = builder.build().predict(files, 3);
        ImageClassifier spinning = builder.optIdleThreads(IdleThreads.SPIN).build();
        List<Prediction> spun = spinning.predict(files, 3);
        List<Prediction> onDl4j = spinning.withEngine(InferenceEngine.DL4J).predict(files, 3);
        for (int i = 0; i < files.size(); i++) {
            for (int k = 0; k < 3; k++) {
                double expected = sleeping.get(i).top().get(k).probability();
                assertThat(spun.get(i).top().get(k).probability()).isCloseTo(expected, within(1e-6));
                assertThat(onDl4j.get(i).top().get(k).probability()).isCloseTo(expected, within(1e-4));
            }
        }
    }
}
