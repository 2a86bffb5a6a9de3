package org.cnnkit.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class BatchDecoderTest {

    private static final InputShape SHAPE = InputShape.rgb(8);

    @TempDir
    Path folder;

    @Test
    void filesBecomeOnePreprocessedBatchInFileOrder() {
        Path red = TestImages.png(folder.resolve("red.png"), 20, 12, Color.RED);
        Path blue = TestImages.png(folder.resolve("blue.png"), 9, 9, Color.BLUE);
        BatchDecoder batches = BatchDecoder.of(new ImageDecoder(), SHAPE, Preprocessing.RESCALE);

        BatchDecoder.Batch batch = batches.decode(List.of(red, blue, red), false);

        INDArray images = batch.images();
        assertThat(images.shape()).containsExactly(3, 3, 8, 8);
        assertThat(batch.files()).containsExactly(red, blue, red);
        float[] expected = new ImageDecoder().decode(blue, SHAPE);
        Preprocessing.RESCALE.applyInPlace(expected, 3);
        assertThat(images.reshape(3, SHAPE.values()).getRow(1).toFloatVector()).containsExactly(expected);
        assertThat(images.getDouble(0, 0, 0, 0)).isEqualTo(1.0); // red, rescaled
        assertThat(images.getDouble(0, 2, 0, 0)).isEqualTo(0.0);
    }

    @Test
    void anUnreadableFileIsSkippedAndNamedOrThrows() throws Exception {
        Path good = TestImages.png(folder.resolve("good.png"), 8, 8, Color.GREEN);
        Path bad = Files.writeString(folder.resolve("bad.png"), "not a picture");
        BatchDecoder batches = BatchDecoder.of(new ImageDecoder(), SHAPE, Preprocessing.RESCALE);

        BatchDecoder.Batch batch = batches.decode(List.of(bad, good), true);

        assertThat(batch.files()).containsExactly(good);
        assertThat(batch.images().shape()).containsExactly(1, 3, 8, 8);
        assertThat(batch.skipped()).extracting(BatchDecoder.Unreadable::file).containsExactly(bad);
        assertThat(batch.skipped().get(0).reason()).contains("bad.png");
        assertThat(batches.decode(List.of(bad), true).images().size(0)).isZero();
        assertThatThrownBy(() -> batches.decode(List.of(good, bad), false))
                .isInstanceOf(ImageDecodingException.class).hasMessageContaining("bad.png");
    }
}
