package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.IdleThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtractorsTest {

    @TempDir
    Path dir;

    @Test
    void vgg16Fc2ExtractsBatchesOf4096ValuesAndDescribesItself() throws Exception {
        Vgg16Fc2 extractor = Vgg16Fc2.builder().optPretrained(false).optInputSize(32).optBatchSize(2).build();
        ExtractorIdentity identity = extractor.identity();
        assertThat(identity.model()).isEqualTo("vgg16/fc2");
        assertThat(identity.dimension()).isEqualTo(4096);
        assertThat(identity.preprocessing()).isEqualTo(Preprocessing.VGG16_CAFFE);
        assertThat(identity.weightsChecksum()).matches("[0-9a-f]{64}");
        List<Path> files = List.of(
                TinyExtractor.drawPng(dir.resolve("a.png"), Color.WHITE, Color.RED, true, 50),
                TinyExtractor.drawPng(dir.resolve("b.png"), Color.BLACK, Color.GREEN, false, 70),
                TinyExtractor.drawPng(dir.resolve("c.png"), Color.BLUE, Color.YELLOW, true, 40));
        float[][] vectors = extractor.extract(files, null);
        assertThat(vectors).hasDimensions(3, 4096);
        assertThat(vectors[0]).isNotEqualTo(vectors[1]);
        // One image alone gives the same vector as inside a batch.
        float[] single = extractor.extract(ImageIO.read(files.get(2).toFile()));
        for (int j = 0; j < 4096; j += 97) {
            assertThat(single[j]).isCloseTo(vectors[2][j], org.assertj.core.api.Assertions.within(1e-3f + Math.abs(single[j]) * 1e-4f));
        }
        Path broken = Files.writeString(dir.resolve("broken.jpg"), "text");
        assertThatThrownBy(() -> extractor.extract(List.of(files.get(0), broken), null))
                .isInstanceOf(ImageDecodingException.class).hasMessageContaining("broken.jpg");
        ExtractionResult readable = extractor.extractReadable(List.of(files.get(0), broken, files.get(1)), null);
        assertThat(readable.files()).containsExactly(files.get(0), files.get(1));
        assertThat(readable.skipped()).singleElement().satisfies(s -> assertThat(s.path()).isEqualTo(broken));
    }

    @Test
    void imagesExtractedTogetherEqualEachImageExtractedAlone() throws Exception {
        List<java.awt.image.BufferedImage> images = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Path file = TinyExtractor.drawPng(dir.resolve(i + ".png"), new Color(40 * i, 200 - 30 * i, 90),
                    Color.WHITE, i % 2 == 0, 30 + 11 * i);
            images.add(ImageIO.read(file.toFile()));
        }
        // batches of 2, 2 and 1 images; VGG16 runs on ONNX Runtime, the tiny extractor's average pooling on DL4J
        List<FeatureExtractor> extractors = List.of(new TinyExtractor(2),
                Vgg16Fc2.builder().optPretrained(false).optInputSize(32).optBatchSize(2).build());
        for (FeatureExtractor extractor : extractors) {
            float[][] together = extractor.extractImages(images);
            assertThat(together).hasNumberOfRows(5);
            for (int i = 0; i < images.size(); i++) {
                float[] alone = extractor.extract(images.get(i));
                assertThat(together[i]).hasSameSizeAs(alone);
                for (int j = 0; j < alone.length; j++) {
                    assertThat(together[i][j]).as("%s, image %d, value %d", extractor.name(), i, j)
                            .isCloseTo(alone[j], org.assertj.core.api.Assertions.within(1e-4f + Math.abs(alone[j]) * 1e-4f));
                }
            }
            assertThat(together[0]).isNotEqualTo(together[1]);
        }
    }

    @Test
    void anExtractorWhoseIdleThreadsSpinGivesTheVectorsOfOneWhoseThreadsSleep() throws Exception {
        List<Path> files = List.of(
                TinyExtractor.drawPng(dir.resolve("a.png"), Color.WHITE, Color.RED, true, 50),
                TinyExtractor.drawPng(dir.resolve("b.png"), Color.BLACK, Color.GREEN, false, 70),
                TinyExtractor.drawPng(dir.resolve("c.png"), Color.BLUE, Color.YELLOW, true, 40));
        MobileNetV2Pooled.Builder builder = MobileNetV2Pooled.builder().optAlpha(0.35).optImageSize(48)
                .optPretrained(false).optSeed(3).optBatchSize(2);
        float[][] sleeping = builder.build().extract(files, null);
        float[][] spinning = builder.optIdleThreads(IdleThreads.SPIN).build().extract(files, null);
        assertThat(spinning).hasDimensions(3, sleeping[0].length);
        for (int i = 0; i < files.size(); i++) {
            assertThat(spinning[i]).containsExactly(sleeping[i], org.assertj.core.api.Assertions.within(1e-6f));
        }
        assertThat(sleeping[0]).isNotEqualTo(sleeping[1]);
    }

    @Test
    void mobileNetV2PooledLoadsTheAssetWeightsAndRecordsTheirChecksum() throws Exception {
        Path weights = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"))
                .resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Assumptions.assumeTrue(Files.isRegularFile(weights), "MobileNetV2 weights not found at " + weights + ": skipping");
        MobileNetV2Pooled extractor = MobileNetV2Pooled.builder().optAlpha(0.35).optImageSize(64).optWeights(weights).build();
        assertThat(extractor.identity().weightsChecksum())
                .isEqualTo("df4b707df38adb06564ef18ea1ce621d2fba092f3c764cd3ef45b8f9df851116");
        assertThat(extractor.identity().model()).isEqualTo("mobilenetv2-0.35/avg(out_relu)");
        assertThat(extractor.dimension()).isEqualTo(1280);
        float[][] vectors = extractor.extract(List.of(
                TinyExtractor.drawPng(dir.resolve("a.png"), Color.WHITE, Color.RED, true, 64),
                TinyExtractor.drawPng(dir.resolve("b.png"), Color.BLACK, Color.GREEN, false, 64)), null);
        assertThat(vectors).hasDimensions(2, 1280);
        for (float value : vectors[0]) {
            assertThat(value).isGreaterThanOrEqualTo(0f); // averages of ReLU6 outputs
        }
        assertThat(vectors[0]).isNotEqualTo(vectors[1]);
    }

    @Test
    void aBatchSizeBelowOneIsRefusedByTheSetterBeforeAnyWeightsAreLoaded() {
        Path absent = dir.resolve("absent-weights.h5");
        assertThatThrownBy(() -> Vgg16Fc2.builder().optWeights(absent).optBatchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch size must be at least 1, got 0");
        assertThatThrownBy(() -> MobileNetV2Pooled.builder().optWeights(absent).optBatchSize(-3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -3");
        assertThat(Vgg16Fc2.builder().optBatchSize(1)).isNotNull();
    }

    @Test
    void extractorSpecRoundTripsThroughIndexProperties() {
        ExtractorSpec spec = ExtractorSpec.mobileNetV2(0.35).withWeights(Path.of("/models/w.h5"));
        Map<String, String> properties = spec.toProperties();
        assertThat(properties).containsEntry("extractor.kind", "mobilenetv2").containsEntry("extractor.alpha", "0.35");
        assertThat(ExtractorSpec.fromProperties(properties)).contains(spec);
        assertThat(ExtractorSpec.fromProperties(Map.of())).isEmpty();
        assertThatThrownBy(() -> ExtractorSpec.Kind.parse("resnet")).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("resnet");
    }
}
