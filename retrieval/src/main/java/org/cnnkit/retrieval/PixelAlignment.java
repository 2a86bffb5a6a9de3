package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;

/**
 * The pixel test of {@link DuplicateFinder}: is one image a geometric and photometric transform of the other?
 * Both images are reduced to small grey thumbnails ({@link #thumbnail}); one is aligned onto the other by a similarity
 * transform (scale, rotation, translation) with a gain and a bias, and the pair is scored by the normalised
 * cross-correlation of the aligned pixels over their overlap ({@link #alignedCorrelation}).
 *
 * <p>The alignment is the inverse-compositional Gauss-Newton image alignment of Baker and Matthews ("Lucas-Kanade 20
 * years on"), with the gain and bias projected out of the steepest-descent images (so they cost nothing per
 * iteration), run coarse to fine over a pyramid of 16, 32 and 64 pixels a side from a few starting scales. Both
 * directions are tried (the cropped or zoomed copy is the template that lies inside the other image). Coordinates are physical:
 * a thumbnail is square, but its coordinates keep the image's aspect ratio, so a rotation of the photo is a rotation
 * of the coordinates. Stateless; safe for many threads.
 */
final class PixelAlignment {

    /** The side of a thumbnail, in pixels. */
    static final int SIDE = 64;

    /** The sides of the pyramid levels, coarse to fine. */
    private static final int[] LEVELS = {16, 32, 64};

    /** The starting scales (template size in the other image's frame): a copy zoomed in by up to about 1.4. */
    private static final double[] START_SCALES = {1.0, 0.9, 0.8, 0.7};

    /** Gauss-Newton iterations at most per start at the coarsest level, and per finer level. */
    private static final int MAX_COARSE_ITERATIONS = 20;
    private static final int MAX_FINE_ITERATIONS = 10;
    private static final double CONVERGED = 1e-3;

    /** Below this share of the template's pixels inside the other image, a pair scores {@link #NO_OVERLAP}. */
    private static final double MIN_OVERLAP = 0.5;

    /** The score of a pair whose alignment leaves too little overlap, or a flat image. */
    static final double NO_OVERLAP = -1;

    private PixelAlignment() {
    }

    /**
     * A grey thumbnail: the image averaged into {@link #SIDE} x {@link #SIDE} cells (anisotropically), with the aspect
     * of the image it came from.
     *
     * @param grey the cells, row by row, 0-255
     * @param aspectX the image's width over its longer side
     * @param aspectY the image's height over its longer side
     */
    record Thumbnail(byte[] grey, float aspectX, float aspectY) {

        /** {@return the bytes this thumbnail holds, for a cache's budget} */
        int bytes() {
            return grey.length + 32;
        }
    }

    /**
     * Makes the grey thumbnail of an image: luma (0.299 R + 0.587 G + 0.114 B) averaged over the area each cell covers.
     *
     * @param image any image
     * @return its thumbnail
     */
    static Thumbnail thumbnail(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        float[] luma = new float[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            int p = rgb[i];
            luma[i] = 0.299f * ((p >> 16) & 0xFF) + 0.587f * ((p >> 8) & 0xFF) + 0.114f * (p & 0xFF);
        }
        float[] rows = new float[h * SIDE];
        for (int y = 0; y < h; y++) {
            resample(luma, y * w, 1, w, rows, y * SIDE, 1, SIDE);
        }
        float[] cells = new float[SIDE * SIDE];
        for (int x = 0; x < SIDE; x++) {
            resample(rows, x, SIDE, h, cells, x, SIDE, SIDE);
        }
        byte[] grey = new byte[cells.length];
        for (int i = 0; i < cells.length; i++) {
            grey[i] = (byte) Math.round(Math.max(0, Math.min(255, cells[i])));
        }
        int longer = Math.max(w, h);
        return new Thumbnail(grey, (float) w / longer, (float) h / longer);
    }

    /**
     * Resamples a line of {@code n} values into {@code m} by area: each output value is the mean of the piecewise
     * constant input over the interval it covers (a box filter when shrinking, nearest values when enlarging).
     */
    private static void resample(float[] in, int inOffset, int inStride, int n, float[] out, int outOffset,
                                 int outStride, int m) {
        double step = (double) n / m;
        for (int o = 0; o < m; o++) {
            double start = o * step;
            double end = start + step;
            double sum = 0;
            int first = (int) Math.floor(start);
            for (int i = first; i < end && i < n; i++) {
                double covered = Math.min(end, i + 1) - Math.max(start, i);
                sum += covered * in[inOffset + i * inStride];
            }
            out[outOffset + o * outStride] = (float) (sum / step);
        }
    }

    /**
     * Aligns two thumbnails and returns the normalised cross-correlation of the aligned pixels. Both directions (each
     * thumbnail as the template) are tried from every starting scale at the coarsest level; the best start of each is
     * refined through the finer levels and scored at the finest (when it reaches {@code floor}), and the better direction
     * counts. A pair whose best coarse correlation is below {@code floor}
     * is not refined: its coarse correlation is returned (a pair that far from any alignment is no near-duplicate).
     *
     * @param a one thumbnail
     * @param b the other
     * @param floor the coarse correlation under which the pair is not refined
     * @return the correlation in [-1, 1] over the overlap, or {@link #NO_OVERLAP}
     */
    static double alignedCorrelation(Thumbnail a, Thumbnail b, double floor) {
        Pyramid pa = new Pyramid(a);
        Pyramid pb = new Pyramid(b);
        double[] ab = coarse(pa, pb);
        double[] ba = coarse(pb, pa);
        if (Math.max(ab[4], ba[4]) < floor) {
            return Math.max(ab[4], ba[4]);
        }
        return Math.max(fine(pa, pb, ab, floor), fine(pb, pa, ba, floor));
    }

    /** Refines a coarse warp scoring at least {@code floor} through the finer levels and scores it at the finest. */
    private static double fine(Pyramid template, Pyramid image, double[] warp, double floor) {
        if (warp[4] == NO_OVERLAP || warp[4] < floor) {
            return NO_OVERLAP;
        }
        Level level = null;
        for (int l = 1; l < LEVELS.length; l++) {
            level = new Level(template, image, l);
            level.refine(warp, MAX_FINE_ITERATIONS);
        }
        return level.correlation(warp);
    }

    /** Aligns the template onto the image at the coarsest level from every starting scale: the best warp and score. */
    private static double[] coarse(Pyramid template, Pyramid image) {
        double[] best = {1, 0, 0, 0, NO_OVERLAP};
        Level coarse = new Level(template, image, 0);
        for (double scale : START_SCALES) {
            double[] warp = {scale, 0, 0, 0, 0};
            coarse.refine(warp, MAX_COARSE_ITERATIONS);
            warp[4] = coarse.correlation(warp);
            if (warp[4] > best[4]) {
                best = warp;
            }
        }
        return best;
    }

    /** A thumbnail as floats at every pyramid level (2x2 means of the finer level), with its aspect. */
    private static final class Pyramid {
        final float[][] levels = new float[LEVELS.length][];
        final double aspectX;
        final double aspectY;

        Pyramid(Thumbnail thumbnail) {
            float[] fine = new float[SIDE * SIDE];
            for (int i = 0; i < fine.length; i++) {
                fine[i] = thumbnail.grey()[i] & 0xFF;
            }
            levels[LEVELS.length - 1] = fine;
            for (int level = LEVELS.length - 2; level >= 0; level--) {
                int n = LEVELS[level];
                float[] finer = levels[level + 1];
                float[] coarser = new float[n * n];
                for (int y = 0; y < n; y++) {
                    for (int x = 0; x < n; x++) {
                        int i = 2 * y * 2 * n + 2 * x;
                        coarser[y * n + x] = (finer[i] + finer[i + 1] + finer[i + 2 * n] + finer[i + 2 * n + 1]) / 4;
                    }
                }
                levels[level] = coarser;
            }
            aspectX = thumbnail.aspectX();
            aspectY = thumbnail.aspectY();
        }
    }

    /**
     * One pyramid level of one alignment: the template's steepest-descent images with gain and bias projected out,
     * and the inverse of their Gauss-Newton Hessian. A warp is {@code {a, b, tx, ty}}: a template point {@code u} (in
     * physical coordinates, the longer side spanning [-1, 1]) goes to {@code [[a, -b], [b, a]] u + t} in the image.
     */
    private static final class Level {
        private final int n;
        private final float[] template;
        private final float[] image;
        private final double[] u;
        private final double[] v;
        private final double half;
        private final double imageAspectX;
        private final double imageAspectY;
        private final double[][] descent = new double[4][];
        private final double[][] inverseHessian;

        Level(Pyramid templatePyramid, Pyramid imagePyramid, int level) {
            n = LEVELS[level];
            template = templatePyramid.levels[level];
            image = imagePyramid.levels[level];
            half = n / 2.0;
            imageAspectX = imagePyramid.aspectX;
            imageAspectY = imagePyramid.aspectY;
            int size = n * n;
            u = new double[size];
            v = new double[size];
            double centre = (n - 1) / 2.0;
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    u[y * n + x] = (x - centre) / half * templatePyramid.aspectX;
                    v[y * n + x] = (y - centre) / half * templatePyramid.aspectY;
                }
            }
            double toU = half / templatePyramid.aspectX;
            double toV = half / templatePyramid.aspectY;
            for (int k = 0; k < 4; k++) {
                descent[k] = new double[size];
            }
            for (int y = 0; y < n; y++) {
                for (int x = 0; x < n; x++) {
                    int i = y * n + x;
                    double gu = gradient(template, x, y, 1, 0) * toU;
                    double gv = gradient(template, x, y, 0, 1) * toV;
                    descent[0][i] = gu * u[i] + gv * v[i];
                    descent[1][i] = -gu * v[i] + gv * u[i];
                    descent[2][i] = gu;
                    descent[3][i] = gv;
                }
            }
            projectOutGainAndBias();
            double[][] hessian = new double[4][4];
            for (int r = 0; r < 4; r++) {
                for (int c = r; c < 4; c++) {
                    double sum = 0;
                    for (int i = 0; i < size; i++) {
                        sum += descent[r][i] * descent[c][i];
                    }
                    hessian[r][c] = sum;
                    hessian[c][r] = sum;
                }
            }
            inverseHessian = invert(hessian);
        }

        /** The template's central difference (one-sided at the border) along x or y, per pixel. */
        private double gradient(float[] values, int x, int y, int dx, int dy) {
            int x0 = Math.max(0, x - dx);
            int x1 = Math.min(n - 1, x + dx);
            int y0 = Math.max(0, y - dy);
            int y1 = Math.min(n - 1, y + dy);
            int span = (x1 - x0) + (y1 - y0);
            return span == 0 ? 0 : (values[y1 * n + x1] - values[y0 * n + x0]) / span;
        }

        /** Removes from every steepest-descent image its components along 1 and along the centred template. */
        private void projectOutGainAndBias() {
            int size = n * n;
            double mean = 0;
            for (float t : template) {
                mean += t;
            }
            mean /= size;
            double[] centred = new double[size];
            double norm = 0;
            for (int i = 0; i < size; i++) {
                centred[i] = template[i] - mean;
                norm += centred[i] * centred[i];
            }
            norm = Math.sqrt(norm);
            for (double[] d : descent) {
                double along1 = 0;
                double alongT = 0;
                for (int i = 0; i < size; i++) {
                    along1 += d[i];
                    alongT += d[i] * centred[i];
                }
                along1 /= size;
                alongT = norm > 0 ? alongT / (norm * norm) : 0;
                for (int i = 0; i < size; i++) {
                    d[i] -= along1 + alongT * centred[i];
                }
            }
        }

        /** Runs Gauss-Newton iterations on {@code warp}, in place, until the step is negligible or at most so many. */
        void refine(double[] warp, int iterations) {
            int size = n * n;
            double[] warped = new double[size];
            for (int iteration = 0; iteration < iterations; iteration++) {
                sample(warp, warped, null);
                double[] b = new double[4];
                for (int i = 0; i < size; i++) {
                    double error = warped[i] - template[i];
                    for (int k = 0; k < 4; k++) {
                        b[k] += descent[k][i] * error;
                    }
                }
                double[] step = new double[4];
                for (int r = 0; r < 4; r++) {
                    for (int c = 0; c < 4; c++) {
                        step[r] += inverseHessian[r][c] * b[c];
                    }
                }
                composeWithInverse(warp, 1 + step[0], step[1], step[2], step[3]);
                if (Math.abs(warp[0]) < 0.2 || Math.abs(warp[0]) > 5) {
                    return;
                }
                if (Math.abs(step[0]) + Math.abs(step[1]) + Math.abs(step[2]) + Math.abs(step[3]) < CONVERGED) {
                    return;
                }
            }
        }

        /** {@code warp <- warp o inverse(step)}, both similarity transforms. */
        private static void composeWithInverse(double[] warp, double a, double b, double tx, double ty) {
            double det = a * a + b * b;
            double ia = a / det;
            double ib = -b / det;
            double itx = -(ia * tx - ib * ty);
            double ity = -(ib * tx + ia * ty);
            double wa = warp[0];
            double wb = warp[1];
            warp[0] = wa * ia - wb * ib;
            warp[1] = wa * ib + wb * ia;
            warp[2] += wa * itx - wb * ity;
            warp[3] += wb * itx + wa * ity;
        }

        /**
         * Samples the image at the warped template points (bilinear, clamped at the border); {@code inside}, when
         * given, receives whether each point fell inside the image.
         */
        private void sample(double[] warp, double[] out, boolean[] inside) {
            double a = warp[0];
            double b = warp[1];
            double centre = (n - 1) / 2.0;
            double toX = half / imageAspectX;
            double toY = half / imageAspectY;
            for (int i = 0; i < out.length; i++) {
                double x = (a * u[i] - b * v[i] + warp[2]) * toX + centre;
                double y = (b * u[i] + a * v[i] + warp[3]) * toY + centre;
                if (inside != null) {
                    inside[i] = x >= -0.5 && x <= n - 0.5 && y >= -0.5 && y <= n - 0.5;
                }
                x = Math.max(0, Math.min(n - 1, x));
                y = Math.max(0, Math.min(n - 1, y));
                int x0 = Math.min(n - 2, (int) x);
                int y0 = Math.min(n - 2, (int) y);
                double fx = x - x0;
                double fy = y - y0;
                int p = y0 * n + x0;
                out[i] = (1 - fy) * ((1 - fx) * image[p] + fx * image[p + 1])
                        + fy * ((1 - fx) * image[p + n] + fx * image[p + n + 1]);
            }
        }

        /** The normalised cross-correlation of the template and the warped image over the points inside the image. */
        double correlation(double[] warp) {
            int size = n * n;
            double[] warped = new double[size];
            boolean[] inside = new boolean[size];
            sample(warp, warped, inside);
            int count = 0;
            double st = 0;
            double si = 0;
            for (int i = 0; i < size; i++) {
                if (inside[i]) {
                    count++;
                    st += template[i];
                    si += warped[i];
                }
            }
            if (count < MIN_OVERLAP * size) {
                return NO_OVERLAP;
            }
            double mt = st / count;
            double mi = si / count;
            double stt = 0;
            double sii = 0;
            double sti = 0;
            for (int i = 0; i < size; i++) {
                if (inside[i]) {
                    double dt = template[i] - mt;
                    double di = warped[i] - mi;
                    stt += dt * dt;
                    sii += di * di;
                    sti += dt * di;
                }
            }
            if (stt <= 0 || sii <= 0) {
                return NO_OVERLAP;
            }
            return sti / Math.sqrt(stt * sii);
        }
    }

    /** Inverts a small symmetric matrix by Gauss-Jordan elimination with partial pivoting (zero when singular). */
    private static double[][] invert(double[][] matrix) {
        int m = matrix.length;
        double[][] a = new double[m][2 * m];
        double scale = 0;
        for (int r = 0; r < m; r++) {
            System.arraycopy(matrix[r], 0, a[r], 0, m);
            a[r][m + r] = 1;
            scale = Math.max(scale, Math.abs(matrix[r][r]));
        }
        for (int r = 0; r < m; r++) {
            a[r][r] += 1e-9 * scale + 1e-12;
        }
        for (int col = 0; col < m; col++) {
            int pivot = col;
            for (int r = col + 1; r < m; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] swap = a[col];
            a[col] = a[pivot];
            a[pivot] = swap;
            double p = a[col][col];
            if (p == 0) {
                return new double[m][m];
            }
            for (int c = 0; c < 2 * m; c++) {
                a[col][c] /= p;
            }
            for (int r = 0; r < m; r++) {
                if (r != col && a[r][col] != 0) {
                    double f = a[r][col];
                    for (int c = 0; c < 2 * m; c++) {
                        a[r][c] -= f * a[col][c];
                    }
                }
            }
        }
        double[][] inverse = new double[m][m];
        for (int r = 0; r < m; r++) {
            System.arraycopy(a[r], m, inverse[r], 0, m);
        }
        return inverse;
    }
}
