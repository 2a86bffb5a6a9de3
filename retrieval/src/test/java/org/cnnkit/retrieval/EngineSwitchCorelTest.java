package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.cnnkit.zoo.InferenceEngine;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The engine switch changes nothing a user sees: on Corel-1K (10 images of each of the 10 classes), MobileNetV2 0.35
 * features from ONNX Runtime equal DL4J's within 1e-4 of their scale, and each image's nearest neighbours and the
 * retrieval metrics are the same. Skips without the shared assets.
 */
class EngineSwitchCorelTest {

    private static final Path ASSETS = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"));

    @Test
    void bothEnginesGiveTheSameFeaturesNeighboursAndMetrics() throws IOException {
        Path corel = ASSETS.resolve("corel1k");
        Path weights = ASSETS.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Assumptions.assumeTrue(Files.isDirectory(corel) && Files.isRegularFile(weights),
                "Corel-1K or the MobileNetV2 0.35 weights not found under " + ASSETS + ": skipping");
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Path> classes;
        try (Stream<Path> list = Files.list(corel)) {
            classes = list.filter(Files::isDirectory).sorted().toList();
        }
        for (int c = 0; c < classes.size(); c++) {
            try (Stream<Path> images = Files.list(classes.get(c))) {
                for (Path image : images.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(10).toList()) {
                    files.add(image);
                    labels.add(c);
                }
            }
        }
        float[][] dl4j = MobileNetV2Pooled.builder().optAlpha(0.35).optWeights(weights)
                .optEngine(InferenceEngine.DL4J).build().extract(files, null);
        MobileNetV2Pooled onnxExtractor = MobileNetV2Pooled.builder().optAlpha(0.35).optWeights(weights)
                .optEngine(InferenceEngine.ONNX_RUNTIME).build();
        assertThat(onnxExtractor.engine()).isEqualTo(InferenceEngine.ONNX_RUNTIME);
        float[][] onnx = onnxExtractor.extract(files, null);

        float scale = 0;
        float difference = 0;
        for (int i = 0; i < files.size(); i++) {
            for (int j = 0; j < dl4j[i].length; j++) {
                scale = Math.max(scale, Math.abs(dl4j[i][j]));
                difference = Math.max(difference, Math.abs(dl4j[i][j] - onnx[i][j]));
            }
        }
        assertThat(difference / Math.max(1f, scale)).isLessThan(1e-4f);
        for (int i = 0; i < files.size(); i++) {
            assertThat(nearest(onnx, i, 4)).as("neighbours of " + files.get(i)).isEqualTo(nearest(dl4j, i, 4));
        }
        int[] labelArray = labels.stream().mapToInt(Integer::intValue).toArray();
        RetrievalMetrics fromDl4j = RetrievalEvaluation.evaluate(dl4j, labelArray, SearchSettings.defaults());
        RetrievalMetrics fromOnnx = RetrievalEvaluation.evaluate(onnx, labelArray, SearchSettings.defaults());
        assertThat(fromOnnx.meanAveragePrecision()).isCloseTo(fromDl4j.meanAveragePrecision(),
                org.assertj.core.api.Assertions.within(1e-6));
        assertThat(fromOnnx.precisionAt4()).isEqualTo(fromDl4j.precisionAt4());
    }

    /** The {@code k} nearest other vectors of vector {@code i} by cosine similarity. */
    private static List<Integer> nearest(float[][] vectors, int i, int k) {
        double[] similarity = new double[vectors.length];
        for (int j = 0; j < vectors.length; j++) {
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int d = 0; d < vectors[i].length; d++) {
                dot += vectors[i][d] * vectors[j][d];
                a += vectors[i][d] * vectors[i][d];
                b += vectors[j][d] * vectors[j][d];
            }
            similarity[j] = dot / Math.sqrt(a * b + 1e-30);
        }
        return IntStream.range(0, vectors.length).filter(j -> j != i).boxed()
                .sorted(Comparator.comparingDouble((Integer j) -> -similarity[j])).limit(k).toList();
    }
}
