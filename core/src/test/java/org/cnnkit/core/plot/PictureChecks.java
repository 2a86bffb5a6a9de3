package org.cnnkit.core.plot;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

/**
 * Checks that a written picture is a real one: decodable, of the expected size, with content. Shared with the plot
 * tests of zoo, retrieval and examples through core's test-jar.
 */
public final class PictureChecks {

    private PictureChecks() {
    }

    /**
     * Reads a PNG and checks its size and that it is not blank: many colours, a fair share of non-white pixels.
     *
     * @param png the PNG file
     * @param width the expected width in pixels
     * @param height the expected height in pixels
     * @return the decoded picture
     * @throws IOException if the file cannot be read
     */
    public static BufferedImage assertPicture(Path png, int width, int height) throws IOException {
        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).as("PNG signature").startsWith(0x89, 'P', 'N', 'G');
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).as("decodable PNG").isNotNull();
        assertThat(image.getWidth()).isEqualTo(width);
        assertThat(image.getHeight()).isEqualTo(height);
        Set<Integer> colours = new HashSet<>();
        long inked = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                colours.add(rgb);
                if (rgb != 0xFFFFFF) {
                    inked++;
                }
            }
        }
        assertThat(colours.size()).as("distinct colours").isGreaterThan(20);
        assertThat((double) inked / ((long) width * height)).as("share of non-white pixels").isBetween(0.02, 0.98);
        return image;
    }

    /**
     * Counts the pixels within a small distance of a colour.
     *
     * @param image the picture
     * @param rgb the colour, 0xRRGGBB
     * @return the number of pixels near that colour
     */
    public static long pixelsNear(BufferedImage image, int rgb) {
        long count = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                int dr = ((p >> 16) & 0xFF) - ((rgb >> 16) & 0xFF);
                int dg = ((p >> 8) & 0xFF) - ((rgb >> 8) & 0xFF);
                int db = (p & 0xFF) - (rgb & 0xFF);
                if (dr * dr + dg * dg + db * db < 30 * 30) {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * Parses an SVG file as XML (no external entities) and returns its document, whose root must be svg.
     *
     * @param svg the SVG file
     * @return the parsed document
     * @throws Exception if the file cannot be read or parsed
     */
    public static Document assertSvg(Path svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setNamespaceAware(true);
        Document document = factory.newDocumentBuilder().parse(svg.toFile());
        assertThat(document.getDocumentElement().getLocalName()).isEqualTo("svg");
        return document;
    }
}
