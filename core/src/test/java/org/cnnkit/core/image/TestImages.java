package org.cnnkit.core.image;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageOutputStream;

/** Small generated images for the tests of the image and data packages. */
public final class TestImages {

    private TestImages() {
    }

    /** Returns an RGB image filled with one colour. */
    public static BufferedImage solid(int width, int height, Color color) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    /** Returns an RGB image of random pixels (hard to compress: large files to truncate). */
    public static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    /** Writes an image in a format ImageIO knows ("png", "jpg", "bmp", "gif") and returns the path. */
    public static Path write(BufferedImage image, String format, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            if (!ImageIO.write(image, format, file.toFile())) {
                throw new IllegalStateException("no " + format + " writer for image type " + image.getType());
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a solid-colour PNG and returns the path. */
    public static Path png(Path file, int width, int height, Color color) {
        return write(solid(width, height, color), "png", file);
    }

    /** Returns a 16-bit grayscale image with the given sample values, row-major. */
    public static BufferedImage gray16(int width, int height, int[] samples) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setPixels(0, 0, width, height, samples);
        return image;
    }

    /** Returns a 16-bit-per-channel RGB image with every pixel set to (r, g, b). */
    public static BufferedImage rgb16(int width, int height, int r, int g, int b) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, new int[] {r, g, b});
            }
        }
        return new BufferedImage(cm, raster, false, null);
    }

    /** Returns a palette image with two colours: left half index 0, right half index 1. */
    public static BufferedImage palette(int width, int height, Color left, Color right) {
        byte[] r = {(byte) left.getRed(), (byte) right.getRed()};
        byte[] g = {(byte) left.getGreen(), (byte) right.getGreen()};
        byte[] b = {(byte) left.getBlue(), (byte) right.getBlue()};
        IndexColorModel icm = new IndexColorModel(8, 2, r, g, b);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, icm);
        for (int y = 0; y < height; y++) {
            for (int x = width / 2; x < width; x++) {
                image.getRaster().setSample(x, y, 0, 1);
            }
        }
        return image;
    }

    /** Writes an animated GIF of solid frames, one per colour, and returns the path. */
    public static Path animatedGif(Path file, int width, int height, Color... frames) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(Files.newOutputStream(file))) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (Color color : frames) {
                BufferedImage frame = solid(width, height, color);
                IIOMetadata metadata = writer.getDefaultImageMetadata(
                        ImageTypeSpecifier.createFromRenderedImage(frame), null);
                writer.writeToSequence(new IIOImage(frame, null, metadata), null);
            }
            writer.endWriteSequence();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
    }

    /** Writes a 4-channel (CMYK) JPEG of one colour from its raw samples and returns the path. */
    public static Path cmykJpeg(Path file, int width, int height, int[] cmyk) {
        WritableRaster raster = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height,
                4, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, cmyk);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(Files.newOutputStream(file))) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(raster, null, null), null);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
    }

    /** Writes the first {@code keep} bytes of a file to another and returns it. */
    public static Path truncated(Path source, Path target, long keep) {
        try {
            byte[] all = Files.readAllBytes(source);
            byte[] part = new byte[(int) Math.min(keep, all.length)];
            System.arraycopy(all, 0, part, 0, part.length);
            return Files.write(target, part);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a PNG whose header (IHDR, correct CRC) claims {@code width x height} RGB pixels, followed by a
     * tiny IDAT and IEND: a decompression-bomb shape that must be refused from the header alone.
     */
    public static Path pngHeaderClaiming(Path file, int width, int height) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream header = new DataOutputStream(ihdr);
            header.writeInt(width);
            header.writeInt(height);
            header.writeByte(8); // bit depth
            header.writeByte(2); // colour type: RGB
            header.writeByte(0); // compression
            header.writeByte(0); // filter
            header.writeByte(0); // interlace
            chunk(out, "IHDR", ihdr.toByteArray());
            chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
            chunk(out, "IEND", new byte[0]);
            return Files.write(file, bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(data.length);
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
