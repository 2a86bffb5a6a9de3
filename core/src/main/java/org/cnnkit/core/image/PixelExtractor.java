package org.cnnkit.core.image;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Reads a {@link BufferedImage}'s pixels, at their own size and row by row, as float values of 1 (gray) or
 * 3 (RGB) channels in [0, 255], straight from the raster (no per-pixel {@code getRGB}).
 *
 * <p>Conversions, chosen to match what Keras' {@code load_img} (Pillow {@code convert}) gives:
 * alpha is dropped (the colour under it is kept, not composited); gray to RGB repeats the gray value;
 * RGB to gray is the ITU-R 601-2 luma {@code 0.299 R + 0.587 G + 0.114 B}; 16-bit and other depths are
 * scaled to 8-bit range ({@code v * 255 / (2^bits - 1)}); palettes are looked up; gray samples are taken
 * as stored (no linear-light conversion); CMYK is converted as Pillow does
 * ({@code R = (255 - C)(255 - K) / 255}, ...). Other colour spaces and premultiplied alpha go through
 * Java2D's conversion to sRGB.
 */
final class PixelExtractor {

    private PixelExtractor() {
    }

    /** Reads one row of an image; an instance keeps scratch buffers, so one thread uses it at a time. */
    interface RowReader {

        /**
         * Writes row {@code y}: channel {@code c} of column {@code x} goes to
         * {@code out[offset + c * planeStride + x]}.
         */
        void read(int y, float[] out, int offset, int planeStride);
    }

    /** Returns the whole image as channel planes ({@code channels * height * width} values). */
    static float[] toPlanar(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] out = new float[channels * w * h];
        RowReader reader = rowReader(image, channels);
        for (int y = 0; y < h; y++) {
            reader.read(y, out, y * w, w * h);
        }
        return out;
    }

    /** Returns a reader of the image's rows converted to {@code channels} channels. */
    static RowReader rowReader(BufferedImage image, int channels) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            return paletteRows(raster, icm, channels);
        }
        boolean plain = !cm.isAlphaPremultiplied() && isRgbOrGray(cm);
        if (plain && cm instanceof ComponentColorModel && isInterleavedBytes(raster)) {
            return interleavedByteRows(raster, cm.getNumColorComponents(), channels);
        }
        if (plain && (cm instanceof ComponentColorModel || cm instanceof DirectColorModel)) {
            return componentRows(raster, cm, channels);
        }
        if (!cm.isAlphaPremultiplied() && cm.getColorSpace().getType() == ColorSpace.TYPE_CMYK
                && cm.getNumColorComponents() == 4) {
            return cmykRows(raster, cm, channels);
        }
        return componentRows(toArgb(image).getRaster(), ColorModel.getRGBdefault(), channels);
    }

    private static boolean isRgbOrGray(ColorModel cm) {
        int type = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        return (type == ColorSpace.TYPE_RGB && colours == 3) || (type == ColorSpace.TYPE_GRAY && colours == 1);
    }

    private static boolean isInterleavedBytes(Raster raster) {
        if (!(raster.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1) {
            return false;
        }
        if (!(raster.getSampleModel() instanceof ComponentSampleModel sm)) {
            return false;
        }
        for (int bank : sm.getBankIndices()) {
            if (bank != 0) {
                return false;
            }
        }
        return true;
    }

    /** 8-bit samples in one byte array: JPEG, 8-bit PNG, 24-bit BMP. The hot path. */
    private static RowReader interleavedByteRows(Raster raster, int colours, int channels) {
        int w = raster.getWidth();
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int[] bandOffsets = sm.getBandOffsets();
        int pixelStride = sm.getPixelStride();
        int scanline = sm.getScanlineStride();
        int origin = buffer.getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanline
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
        if (colours == 1) {
            int o = bandOffsets[0];
            return (y, out, offset, planeStride) -> {
                int p = origin + y * scanline + o;
                for (int x = 0; x < w; x++, p += pixelStride) {
                    float v = data[p] & 0xff;
                    out[offset + x] = v;
                    if (channels == 3) {
                        out[offset + planeStride + x] = v;
                        out[offset + 2 * planeStride + x] = v;
                    }
                }
            };
        }
        int or = bandOffsets[0];
        int og = bandOffsets[1];
        int ob = bandOffsets[2];
        return (y, out, offset, planeStride) -> {
            int p = origin + y * scanline;
            for (int x = 0; x < w; x++, p += pixelStride) {
                int r = data[p + or] & 0xff;
                int g = data[p + og] & 0xff;
                int b = data[p + ob] & 0xff;
                put(out, offset, planeStride, x, channels, r, g, b);
            }
        };
    }

    /** Any component or packed layout of gray or RGB, any depth, read through the raster. */
    private static RowReader componentRows(Raster raster, ColorModel cm, int channels) {
        int w = raster.getWidth();
        int bands = raster.getNumBands();
        int colours = cm.getNumColorComponents();
        float[] scale = new float[colours];
        for (int i = 0; i < colours; i++) {
            scale[i] = 255f / ((1L << cm.getComponentSize(i)) - 1);
        }
        int[] row = new int[w * bands];
        int x0 = raster.getMinX();
        int y0 = raster.getMinY();
        return (y, out, offset, planeStride) -> {
            raster.getPixels(x0, y0 + y, w, 1, row);
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                if (colours == 1) {
                    float v = (row[p] & 0xffffffffL) * scale[0];
                    out[offset + x] = v;
                    if (channels == 3) {
                        out[offset + planeStride + x] = v;
                        out[offset + 2 * planeStride + x] = v;
                    }
                } else {
                    put(out, offset, planeStride, x, channels, (row[p] & 0xffffffffL) * scale[0],
                            (row[p + 1] & 0xffffffffL) * scale[1], (row[p + 2] & 0xffffffffL) * scale[2]);
                }
            }
        };
    }

    /**
     * CMYK (JPEG from print workflows; ImageIO gives ink amounts): {@code R = (255 - C)(255 - K) / 255} and
     * likewise for G (M) and B (Y), as Pillow's {@code convert("RGB")}. Java2D's own conversion of ImageIO's
     * CMYK colour space washes colours out (it treats the result as linear light), so it is not used.
     */
    private static RowReader cmykRows(Raster raster, ColorModel cm, int channels) {
        int w = raster.getWidth();
        int bands = raster.getNumBands();
        float[] scale = new float[4];
        for (int i = 0; i < 4; i++) {
            scale[i] = 1f / ((1L << cm.getComponentSize(i)) - 1);
        }
        int[] row = new int[w * bands];
        return (y, out, offset, planeStride) -> {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                float white = 255f * (1f - row[p + 3] * scale[3]);
                put(out, offset, planeStride, x, channels, white * (1f - row[p] * scale[0]),
                        white * (1f - row[p + 1] * scale[1]), white * (1f - row[p + 2] * scale[2]));
            }
        };
    }

    /** Palette images (GIF, palette PNG, 8-bit BMP, 1/2/4-bit gray PNG): look every index up. */
    private static RowReader paletteRows(Raster raster, IndexColorModel icm, int channels) {
        int size = icm.getMapSize();
        float[] red = new float[size];
        float[] green = new float[size];
        float[] blue = new float[size];
        float[] gray = new float[size];
        boolean grayRamp = isGrayRamp(icm);
        for (int i = 0; i < size; i++) {
            red[i] = icm.getRed(i);
            green[i] = icm.getGreen(i);
            blue[i] = icm.getBlue(i);
            gray[i] = grayRamp ? red[i] : luma(red[i], green[i], blue[i]);
        }
        int w = raster.getWidth();
        int[] row = new int[w];
        return (y, out, offset, planeStride) -> {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                int index = Math.min(row[x], size - 1);
                if (channels == 3) {
                    out[offset + x] = red[index];
                    out[offset + planeStride + x] = green[index];
                    out[offset + 2 * planeStride + x] = blue[index];
                } else {
                    out[offset + x] = gray[index];
                }
            }
        };
    }

    private static void put(float[] out, int offset, int planeStride, int x, int channels, float r, float g,
            float b) {
        if (channels == 3) {
            out[offset + x] = r;
            out[offset + planeStride + x] = g;
            out[offset + 2 * planeStride + x] = b;
        } else {
            out[offset + x] = luma(r, g, b);
        }
    }

    private static boolean isGrayRamp(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            if (icm.getRed(i) != icm.getGreen(i) || icm.getRed(i) != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    /** Converts any other image (other colour spaces, premultiplied alpha) to plain ARGB. */
    private static BufferedImage toArgb(BufferedImage image) {
        BufferedImage argb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_ARGB);
        Graphics2D g = argb.createGraphics();
        try {
            g.setComposite(AlphaComposite.Src);
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return argb;
    }

    /** ITU-R 601-2 luma, as Pillow's {@code convert("L")}. */
    static float luma(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }
}
