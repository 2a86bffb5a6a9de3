package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.core.image.ImageDecodingException;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.progress.ProgressListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreparedExtractionTest {

    @TempDir
    Path temp;

    private List<EncodedImage> gallery(int count) throws Exception {
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.MAGENTA, Color.CYAN, Color.WHITE};
        List<EncodedImage> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path file = TinyExtractor.drawPng(temp.resolve("img-" + i + ".png"), colours[i % colours.length],
                    colours[(i + 3) % colours.length], i % 2 == 0, 24 + 8 * i);
            images.add(new EncodedImage(file, Files.readAllBytes(file)));
        }
        return images;
    }

    @Test
    void preparedImagesGiveTheSameVectorsAsTheBatchedEncodedPathAcrossSeveralNetworkBatches() throws Exception {
        TinyExtractor extractor = new TinyExtractor(3);
        List<EncodedImage> images = gallery(7);
        List<PreparedImage> prepared = images.stream().map(extractor::prepare).toList();

        ExtractionResult fromPrepared = extractor.extractPrepared(prepared);
        ExtractionResult fromEncoded = extractor.extractEncoded(images);

        assertThat(fromPrepared.files()).containsExactlyElementsOf(images.stream().map(EncodedImage::name).toList());
        assertThat(fromPrepared.skipped()).isEmpty();
        for (int i = 0; i < images.size(); i++) {
            assertThat(fromPrepared.vectors()[i]).containsExactly(fromEncoded.vectors()[i]);
        }
    }

    @Test
    void preparingBytesThatAreNotAnImageFailsNamingTheImage() {
        TinyExtractor extractor = new TinyExtractor(4);
        EncodedImage text = new EncodedImage(Path.of("upload-7"), "hello".getBytes());

        assertThatThrownBy(() -> extractor.prepare(text)).isInstanceOf(ImageDecodingException.class)
                .hasMessageContaining("upload-7");
    }

    @Test
    void theDefaultKeepsImagesEncodedAndSkipsTheUnreadableOnesWhenExtracting() throws Exception {
        TinyExtractor network = new TinyExtractor(4);
        FeatureExtractor plain = new FeatureExtractor() {
            @Override
            public String name() {
                return "plain";
            }

            @Override
            public ExtractorIdentity identity() {
                return network.identity();
            }

            @Override
            public float[][] extract(List<Path> files, ProgressListener listener) {
                return network.extract(files, listener);
            }

            @Override
            public ExtractionResult extractReadable(List<Path> files, ProgressListener listener) {
                return network.extractReadable(files, listener);
            }

            @Override
            public float[] extract(BufferedImage image) {
                return network.extract(image);
            }
        };
        List<EncodedImage> images = new ArrayList<>(gallery(2));
        images.add(1, new EncodedImage(Path.of("broken"), new byte[] {1, 2, 3}));

        ExtractionResult result = plain.extractPrepared(images.stream().map(plain::prepare).toList());

        assertThat(result.files()).containsExactly(images.get(0).name(), images.get(2).name());
        assertThat(result.skipped()).extracting(ExtractionResult.SkippedFile::path).containsExactly(Path.of("broken"));
        assertThat(result.vectors()[1]).containsExactly(network.extractEncoded(List.of(images.get(2))).vectors()[0]);
        // a network extractor takes images another extractor left encoded
        assertThat(network.extractPrepared(List.of(plain.prepare(images.get(0)))).vectors()[0])
                .containsExactly(result.vectors()[0]);
    }

    @Test
    void anImagePreparedForAnotherExtractorIsRefused() throws Exception {
        TinyExtractor tiny = new TinyExtractor(4);
        TinyExtractor other = new TinyExtractor(4, Preprocessing.NONE);
        PreparedImage prepared = tiny.prepare(gallery(1).get(0));

        assertThatThrownBy(() -> other.extractPrepared(List.of(prepared)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prepared for another extractor");
    }
}
