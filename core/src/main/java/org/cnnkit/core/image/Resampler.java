package org.cnnkit.core.image;

/**
 * Resizes channel-first float images with a separable triangle (bilinear) filter whose support widens with
 * the downscale factor, as Pillow's {@code Image.resize(..., BILINEAR)} does: upscaling is plain bilinear
 * interpolation with pixel centres at {@code i + 0.5}; downscaling averages every source pixel under the
 * widened filter (area-aware, no aliasing). Edges are handled by renormalising the weights that fall inside
 * the image.
 */
final class Resampler {

    private Resampler() {
    }

    /**
     * Resizes every channel plane of {@code src}.
     *
     * @param src the image, {@code channels} planes of {@code srcH * srcW} values
     * @return a new array of {@code channels} planes of {@code dstH * dstW} values
     */
    static float[] resize(float[] src, int channels, int srcH, int srcW, int dstH, int dstW) {
        if (srcH == dstH && srcW == dstW) {
            return src.clone();
        }
        Filter horizontal = Filter.of(srcW, dstW);
        Filter vertical = Filter.of(srcH, dstH);
        // The horizontal pass gathers (slow per tap), the vertical pass streams whole rows (vectorised):
        // run first the order that makes fewer gathering steps, weighted as about 3 streaming steps.
        long horizontalFirst = 3L * srcH * dstW * horizontal.taps + (long) dstH * dstW * vertical.taps;
        long verticalFirst = (long) dstH * srcW * vertical.taps + 3L * dstH * dstW * horizontal.taps;
        boolean columnsFirst = horizontalFirst <= verticalFirst;
        float[] middle = new float[columnsFirst ? srcH * dstW : dstH * srcW];
        float[] out = new float[channels * dstH * dstW];
        for (int c = 0; c < channels; c++) {
            int srcPlane = c * srcH * srcW;
            int dstPlane = c * dstH * dstW;
            if (columnsFirst) {
                horizontalPass(src, srcPlane, srcH, srcW, middle, 0, dstW, horizontal);
                verticalPass(middle, 0, dstW, out, dstPlane, dstH, vertical);
            } else {
                verticalPass(src, srcPlane, srcW, middle, 0, dstH, vertical);
                horizontalPass(middle, 0, dstH, srcW, out, dstPlane, dstW, horizontal);
            }
        }
        return out;
    }

    /**
     * Resizes an image read row by row, never holding it whole as floats: each source row is filtered to
     * {@code dstW} values as soon as it is read (horizontal pass first), so memory is
     * {@code channels * srcH * dstW} floats. For large sources.
     *
     * @return a new array of {@code channels} planes of {@code dstH * dstW} values
     */
    static float[] resizeRows(PixelExtractor.RowReader reader, int channels, int srcH, int srcW, int dstH, int dstW) {
        Filter horizontal = Filter.of(srcW, dstW);
        Filter vertical = Filter.of(srcH, dstH);
        float[] row = new float[channels * srcW];
        float[] middle = new float[channels * srcH * dstW];
        for (int y = 0; y < srcH; y++) {
            reader.read(y, row, 0, srcW);
            for (int c = 0; c < channels; c++) {
                horizontalPass(row, c * srcW, 1, srcW, middle, (c * srcH + y) * dstW, dstW, horizontal);
            }
        }
        float[] out = new float[channels * dstH * dstW];
        for (int c = 0; c < channels; c++) {
            verticalPass(middle, c * srcH * dstW, dstW, out, c * dstH * dstW, dstH, vertical);
        }
        return out;
    }

    /** Resizes each of {@code rows} rows of {@code width} values to {@code dstW} values. */
    private static void horizontalPass(float[] in, int inOffset, int rows, int width, float[] out, int outOffset,
            int dstW, Filter filter) {
        int taps = filter.taps;
        for (int y = 0; y < rows; y++) {
            int rowIn = inOffset + y * width;
            int rowOut = outOffset + y * dstW;
            for (int x = 0, w = 0; x < dstW; x++, w += taps) {
                int from = rowIn + filter.start[x];
                float sum = 0f;
                for (int k = 0; k < taps; k++) {
                    sum += in[from + k] * filter.weights[w + k];
                }
                out[rowOut + x] = sum;
            }
        }
    }

    /** Blends rows of {@code width} values into {@code dstH} rows. */
    private static void verticalPass(float[] in, int inOffset, int width, float[] out, int outOffset, int dstH,
            Filter filter) {
        int taps = filter.taps;
        for (int y = 0; y < dstH; y++) {
            int start = filter.start[y];
            int rowOut = outOffset + y * width;
            for (int x = 0; x < width; x++) {
                out[rowOut + x] = 0f;
            }
            for (int k = 0; k < taps; k++) {
                float weight = filter.weights[y * taps + k];
                if (weight == 0f) {
                    continue;
                }
                int rowIn = inOffset + (start + k) * width;
                for (int x = 0; x < width; x++) {
                    out[rowOut + x] += in[rowIn + x] * weight;
                }
            }
        }
    }

    /**
     * Precomputed taps of one axis: output i is the weighted sum of the {@code taps} source values from
     * {@code start[i]}; every output has the same number of taps (zero weights pad the narrower windows),
     * so the inner loop has a fixed length.
     */
    private static final class Filter {
        final int[] start;
        final float[] weights;
        final int taps;

        private Filter(int[] start, float[] weights, int taps) {
            this.start = start;
            this.weights = weights;
            this.taps = taps;
        }

        static Filter of(int srcSize, int dstSize) {
            double scale = (double) srcSize / dstSize;
            double support = Math.max(scale, 1.0);
            // source pixels with a non-zero weight lie in an open interval of length 2 * support
            int taps = Math.min(srcSize, (int) Math.ceil(2 * support));
            int[] start = new int[dstSize];
            float[] weights = new float[dstSize * taps];
            double[] w = new double[srcSize];
            for (int i = 0; i < dstSize; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(center - support));
                int hi = Math.min(srcSize, (int) Math.ceil(center + support));
                double total = 0;
                int first = -1;
                int last = -1;
                for (int j = lo; j < hi; j++) {
                    double t = 1.0 - Math.abs((j + 0.5 - center) / support);
                    w[j] = t > 0 ? t : 0;
                    total += w[j];
                    if (w[j] > 0) {
                        first = first < 0 ? j : first;
                        last = j;
                    }
                }
                if (first < 0) { // cannot happen for a triangle around a centre inside the image; be safe
                    first = Math.min(srcSize - 1, (int) center);
                    last = first;
                    w[first] = 1;
                    total = 1;
                }
                // a window of `taps` source values that holds [first, last] and stays inside the image
                int window = Math.max(0, Math.min(first, srcSize - taps));
                start[i] = window;
                for (int j = first; j <= last; j++) {
                    weights[i * taps + j - window] = (float) (w[j] / total);
                }
            }
            return new Filter(start, weights, taps);
        }
    }
}
