package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.MobileNetV2Pooled;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.zoo.ClassifierTrainer;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.Prediction;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.TrainingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user does with the published artifacts: train, predict and search on their own images. */
class ConsumerTest {

    private static final List<String> CLASSES = List.of("red", "green", "blue");

    @TempDir
    Path temp;

    @Test
    void trainsPredictsAndSearchesWithThePublishedArtifacts() throws Exception {
        Path images = writeImages(temp.resolve("images"), 24);

        TrainingResult result = ClassifierTrainer.builder()
                .setEpochs(4)
                .optNetwork(SeedCnn.NOTEBOOK)
                .optInputShape(InputShape.rgb(24))
                .optBatchSize(16)
                .optValidationSplit(0.25)
                .optSeed(7)
                .build()
                .train(images);
        ClassificationMetrics validation = result.validation().orElseThrow();
        assertTrue(validation.accuracy() >= 0.9, "validation accuracy " + validation.accuracy());

        Path modelFile = temp.resolve("colours.cnnkit");
        result.classifier().save(modelFile);
        ImageClassifier loaded = ImageClassifier.load(modelFile);
        assertEquals(CLASSES.stream().sorted().toList(), loaded.classNames());
        Prediction prediction = loaded.predict(images.resolve("blue").resolve("blue-00.png"));
        assertEquals("blue", prediction.best().label());

        MobileNetV2Pooled extractor = MobileNetV2Pooled.builder()
                .optPretrained(false).optAlpha(0.35).optImageSize(32).optSeed(3).build();
        ImageSearch search = ImageSearch.create(extractor, SearchSettings.raw());
        ImageSearch.IndexingReport report = search.indexFolder(images, ProgressListener.none());
        assertEquals(3 * 24, report.indexed());
        Path query = images.resolve("green").resolve("green-05.png");
        List<ImageSearch.ImageMatch> matches = search.search(query, 3);
        assertEquals(3, matches.size());
        assertEquals(query.toRealPath(), matches.get(0).file().toRealPath());
        assertEquals(0f, matches.get(0).distance(), 1e-3f);
    }

    @Test
    void bringsExactlyOneNativeBuildOfNd4j() {
        String classifier = System.getProperty("nd4j.classifier");
        List<String> nativeJars = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> Path.of(p).getFileName().toString())
                .filter(name -> name.startsWith("nd4j-native-1"))
                .sorted()
                .toList();
        assertTrue(nativeJars.contains("nd4j-native-1.0.0-M2.1-" + classifier + ".jar"), nativeJars.toString());
        assertEquals(2, nativeJars.size(), "the plain jar and one classified jar: " + nativeJars);
        assertFalse(nativeJars.contains("nd4j-native-1.0.0-M2.1-linux-x86_64.jar"), nativeJars.toString());
    }

    /** Noisy squares of one dominant colour per class, each with a small random bright patch. */
    private static Path writeImages(Path root, int perClass) throws Exception {
        SplittableRandom rng = new SplittableRandom(11);
        for (int c = 0; c < CLASSES.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
                int px = rng.nextInt(16);
                int py = rng.nextInt(16);
                for (int y = 0; y < 24; y++) {
                    for (int x = 0; x < 24; x++) {
                        int[] rgb = {rng.nextInt(70), rng.nextInt(70), rng.nextInt(70)};
                        rgb[c] = 140 + rng.nextInt(116);
                        if (x >= px && x < px + 8 && y >= py && y < py + 8) {
                            rgb[(c + 1) % 3] = 200;
                        }
                        image.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
                    }
                }
                ImageIO.write(image, "png", dir.resolve(String.format("%s-%02d.png", CLASSES.get(c), i)).toFile());
            }
        }
        return root;
    }
}
