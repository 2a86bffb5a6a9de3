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
        float[] rows = new float[srcH * dstW];
        float[] out = new float[channels * dstH * dstW];
        for (int c = 0; c < channels; c++) {
            int srcPlane = c * srcH * srcW;
            // horizontal pass: every source row to dstW values
            for (int y = 0; y < srcH; y++) {
                int srcRow = srcPlane + y * srcW;
                int rowOut = y * dstW;
                for (int x = 0; x < dstW; x++) {
                    int start = horizontal.start[x];
                    int taps = horizontal.count[x];
                    int w = x * horizontal.maxTaps;
                    float sum = 0f;
                    for (int k = 0; k < taps; k++) {
                        sum += src[srcRow + start + k] * horizontal.weights[w + k];
                    }
                    rows[rowOut + x] = sum;
                }
            }
            // vertical pass: the dstW-wide rows to dstH rows
            int dstPlane = c * dstH * dstW;
            for (int y = 0; y < dstH; y++) {
                int start = vertical.start[y];
                int taps = vertical.count[y];
                int w = y * vertical.maxTaps;
                int outRow = dstPlane + y * dstW;
                for (int x = 0; x < dstW; x++) {
                    out[outRow + x] = 0f;
                }
                for (int k = 0; k < taps; k++) {
                    float weight = vertical.weights[w + k];
                    int rowIn = (start + k) * dstW;
                    for (int x = 0; x < dstW; x++) {
                        out[outRow + x] += rows[rowIn + x] * weight;
                    }
                }
            }
        }
        return out;
    }

    /** Precomputed taps of one axis: for output i, source indices start[i] .. start[i]+count[i]-1. */
    private static final class Filter {
        final int[] start;
        final int[] count;
        final float[] weights;
        final int maxTaps;

        private Filter(int[] start, int[] count, float[] weights, int maxTaps) {
            this.start = start;
            this.count = count;
            this.weights = weights;
            this.maxTaps = maxTaps;
        }

        static Filter of(int srcSize, int dstSize) {
            double scale = (double) srcSize / dstSize;
            double support = Math.max(scale, 1.0);
            int maxTaps = (int) Math.ceil(support) * 2 + 1;
            int[] start = new int[dstSize];
            int[] count = new int[dstSize];
            float[] weights = new float[dstSize * maxTaps];
            double[] w = new double[maxTaps];
            for (int i = 0; i < dstSize; i++) {
                double center = (i + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(center - support));
                int hi = Math.min(srcSize, (int) Math.ceil(center + support));
                int n = 0;
                double total = 0;
                for (int j = lo; j < hi && n < maxTaps; j++) {
                    double t = 1.0 - Math.abs((j + 0.5 - center) / support);
                    w[n] = t > 0 ? t : 0;
                    total += w[n];
                    n++;
                }
                // trim zero-weight taps at both ends
                int first = 0;
                while (first < n - 1 && w[first] == 0) {
                    first++;
                }
                int last = n - 1;
                while (last > first && w[last] == 0) {
                    last--;
                }
                start[i] = lo + first;
                count[i] = last - first + 1;
                for (int k = first; k <= last; k++) {
                    weights[i * maxTaps + k - first] = (float) (total > 0 ? w[k] / total : 1.0 / n);
                }
            }
            return new Filter(start, count, weights, maxTaps);
        }
    }
}
