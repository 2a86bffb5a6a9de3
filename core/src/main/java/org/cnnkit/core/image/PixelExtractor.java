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
 * Copies a {@link BufferedImage}'s pixels, at their own size, into channel-first float planes of 1 (gray)
 * or 3 (RGB) channels with values in [0, 255], reading the raster directly (no per-pixel {@code getRGB}).
 *
 * <p>Conversions, chosen to match what Keras' {@code load_img} (Pillow {@code convert}) gives:
 * alpha is dropped (the colour under it is kept, not composited); gray to RGB repeats the gray value;
 * RGB to gray is the ITU-R 601-2 luma {@code 0.299 R + 0.587 G + 0.114 B}; 16-bit and other depths are
 * scaled to 8-bit range ({@code v * 255 / (2^bits - 1)}); palettes are looked up; gray samples are taken
 * as stored (no linear-light conversion). Colour spaces other than RGB and gray (CMYK, ...) and
 * premultiplied alpha go through Java2D's conversion to sRGB.
 */
final class PixelExtractor {

    private PixelExtractor() {
    }

    static float[] toPlanar(BufferedImage image, int channels) {
        ColorModel cm = image.getColorModel();
        if (cm instanceof IndexColorModel icm) {
            return fromPalette(image.getRaster(), icm, channels);
        }
        boolean plain = !cm.isAlphaPremultiplied() && isRgbOrGray(cm);
        if (plain && cm instanceof ComponentColorModel) {
            if (isInterleavedBytes(image.getRaster())) {
                return fromInterleavedBytes(image.getRaster(), cm.getNumColorComponents(), channels);
            }
            return fromComponents(image.getRaster(), cm, channels);
        }
        if (plain && cm instanceof DirectColorModel) {
            return fromComponents(image.getRaster(), cm, channels);
        }
        return fromComponents(toArgb(image).getRaster(), ColorModel.getRGBdefault(), channels);
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
    private static float[] fromInterleavedBytes(Raster raster, int colours, int channels) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int plane = w * h;
        ComponentSampleModel sm = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int[] bandOffsets = sm.getBandOffsets();
        int pixelStride = sm.getPixelStride();
        int scanline = sm.getScanlineStride();
        int origin = buffer.getOffset()
                + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanline
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
        float[] out = new float[channels * plane];
        if (colours == 1) {
            int o = bandOffsets[0];
            for (int y = 0; y < h; y++) {
                int p = origin + y * scanline + o;
                int q = y * w;
                for (int x = 0; x < w; x++, p += pixelStride) {
                    float v = data[p] & 0xff;
                    out[q + x] = v;
                    if (channels == 3) {
                        out[plane + q + x] = v;
                        out[2 * plane + q + x] = v;
                    }
                }
            }
            return out;
        }
        int or = bandOffsets[0];
        int og = bandOffsets[1];
        int ob = bandOffsets[2];
        for (int y = 0; y < h; y++) {
            int p = origin + y * scanline;
            int q = y * w;
            for (int x = 0; x < w; x++, p += pixelStride) {
                int r = data[p + or] & 0xff;
                int g = data[p + og] & 0xff;
                int b = data[p + ob] & 0xff;
                if (channels == 3) {
                    out[q + x] = r;
                    out[plane + q + x] = g;
                    out[2 * plane + q + x] = b;
                } else {
                    out[q + x] = luma(r, g, b);
                }
            }
        }
        return out;
    }

    /** Any component or packed layout of gray or RGB, any depth: read row by row through the raster. */
    private static float[] fromComponents(Raster raster, ColorModel cm, int channels) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int plane = w * h;
        int bands = raster.getNumBands();
        int colours = cm.getNumColorComponents();
        float[] scale = new float[colours];
        for (int i = 0; i < colours; i++) {
            scale[i] = 255f / ((1L << cm.getComponentSize(i)) - 1);
        }
        float[] out = new float[channels * plane];
        int[] row = new int[w * bands];
        int x0 = raster.getMinX();
        int y0 = raster.getMinY();
        for (int y = 0; y < h; y++) {
            raster.getPixels(x0, y0 + y, w, 1, row);
            int q = y * w;
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                if (colours == 1) {
                    float v = (row[p] & 0xffffffffL) * scale[0];
                    out[q + x] = v;
                    if (channels == 3) {
                        out[plane + q + x] = v;
                        out[2 * plane + q + x] = v;
                    }
                } else {
                    float r = (row[p] & 0xffffffffL) * scale[0];
                    float g = (row[p + 1] & 0xffffffffL) * scale[1];
                    float b = (row[p + 2] & 0xffffffffL) * scale[2];
                    if (channels == 3) {
                        out[q + x] = r;
                        out[plane + q + x] = g;
                        out[2 * plane + q + x] = b;
                    } else {
                        out[q + x] = luma(r, g, b);
                    }
                }
            }
        }
        return out;
    }

    /** Palette images (GIF, palette PNG, 8-bit BMP, 1/2/4-bit gray PNG): look every index up. */
    private static float[] fromPalette(Raster raster, IndexColorModel icm, int channels) {
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
        int h = raster.getHeight();
        int plane = w * h;
        float[] out = new float[channels * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, 0, row);
            int q = y * w;
            for (int x = 0; x < w; x++) {
                int index = Math.min(row[x], size - 1);
                if (channels == 3) {
                    out[q + x] = red[index];
                    out[plane + q + x] = green[index];
                    out[2 * plane + q + x] = blue[index];
                } else {
                    out[q + x] = gray[index];
                }
            }
        }
        return out;
    }

    private static boolean isGrayRamp(IndexColorModel icm) {
        for (int i = 0; i < icm.getMapSize(); i++) {
            if (icm.getRed(i) != icm.getGreen(i) || icm.getRed(i) != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    /** Converts any other image (CMYK and other colour spaces, premultiplied alpha) to plain ARGB. */
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
