package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.ImageDecodingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContactSheetTest {

    @TempDir
    Path dir;

    private static final int PANEL = 64;
    private static final int CELL = PANEL + ContactSheet.MARGIN;
    private static final int ROW = PANEL + ContactSheet.CAPTION_HEIGHT + ContactSheet.MARGIN;

    private Path solid(String name, Color colour, int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        var g = image.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, width, height);
        g.dispose();
        Path file = dir.resolve(name);
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    private static int darkPixels(BufferedImage image, int x0, int y0, int width, int height) {
        int count = 0;
        for (int y = y0; y < y0 + height; y++) {
            for (int x = x0; x < x0 + width; x++) {
                Color c = new Color(image.getRGB(x, y));
                if (c.getRed() + c.getGreen() + c.getBlue() < 200) {
                    count++;
                }
            }
        }
        return count;
    }

    @Test
    void queryRowAndRankedMatchRowFromOriginalPixelsWithCaptions() throws Exception {
        Path query = solid("query.png", Color.RED, 300, 200);
        Color[] colours = {new Color(0, 160, 0), Color.BLUE, new Color(200, 200, 0)};
        List<ImageSearch.ImageMatch> matches = List.of(
                new ImageSearch.ImageMatch(solid("first-match.png", colours[0], 50, 80), 1.5f),
                new ImageSearch.ImageMatch(solid("second.png", colours[1], 640, 480), 2.25f),
                new ImageSearch.ImageMatch(solid("third.png", colours[2], 20, 20), 10f));
        Path png = dir.resolve("out/sheet.png");
        new ContactSheet(PANEL).write(query, matches, png);
        BufferedImage sheet = ImageIO.read(png.toFile());

        // As wide as three panels, no more: no empty panel.
        assertThat(sheet.getWidth()).isEqualTo(ContactSheet.MARGIN + 3 * CELL);
        assertThat(sheet.getHeight()).isEqualTo(ContactSheet.MARGIN + 2 * ROW);
        int top = ContactSheet.MARGIN;
        int bottom = ContactSheet.MARGIN + ROW;
        // The query, with its own colour (original pixels: pure red, not preprocessed values).
        assertThat(new Color(sheet.getRGB(ContactSheet.MARGIN + PANEL / 2, top + PANEL / 2))).isEqualTo(Color.RED);
        // The first row holds only the query.
        assertThat(new Color(sheet.getRGB(ContactSheet.MARGIN + CELL + PANEL / 2, top + PANEL / 2))).isEqualTo(Color.WHITE);
        for (int i = 0; i < 3; i++) {
            int x = ContactSheet.MARGIN + i * CELL;
            assertThat(new Color(sheet.getRGB(x + PANEL / 2, bottom + PANEL / 2))).as("panel %d", i).isEqualTo(colours[i]);
            assertThat(darkPixels(sheet, x, bottom + PANEL, PANEL, ContactSheet.CAPTION_HEIGHT)).as("caption %d", i)
                    .isGreaterThan(20);
        }
        assertThat(darkPixels(sheet, ContactSheet.MARGIN, top + PANEL, PANEL, ContactSheet.CAPTION_HEIGHT)).isGreaterThan(20);
        // The aspect ratio is kept: a tall image leaves the panel's sides in the panel colour.
        assertThat(new Color(sheet.getRGB(ContactSheet.MARGIN + 2, bottom + PANEL / 2))).isNotEqualTo(colours[0]);
    }

    @Test
    void noMatchesGiveOneColumnAndUnreadableImagesAreRefused() throws Exception {
        Path query = solid("q.png", Color.RED, 30, 30);
        BufferedImage sheet = new ContactSheet(PANEL).render(query, List.of());
        assertThat(sheet.getWidth()).isEqualTo(ContactSheet.MARGIN + CELL);
        assertThatThrownBy(() -> new ContactSheet(PANEL).render(query,
                List.of(new ImageSearch.ImageMatch(dir.resolve("missing.png"), 1f))))
                .isInstanceOf(ImageDecodingException.class).hasMessageContaining("missing.png");
        assertThatThrownBy(() -> new ContactSheet(8)).isInstanceOf(IllegalArgumentException.class);
    }
}
