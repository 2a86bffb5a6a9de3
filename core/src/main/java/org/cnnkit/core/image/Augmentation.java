package org.cnnkit.core.image;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Random geometric augmentation of training images, with the parameters and meaning of Keras'
 * {@code ImageDataGenerator}: rotation range (degrees), zoom range, width and height shift ranges
 * (fractions of the size), shear range (degrees), horizontal and vertical flips, fill mode "nearest".
 *
 * <p>For every image, {@link #apply} samples one transform (rotation angle uniform in
 * [-rotationRange, rotationRange], shifts uniform in [-range, range] times the height or width, shear angle
 * uniform in [-shearRange, shearRange], two independent zoom factors uniform in [1 - zoomRange,
 * 1 + zoomRange], each enabled flip with probability 1/2), composes ALL steps into ONE affine matrix
 * about the image centre (as Keras: rotation, then shift, then shear, then zoom, mapping output pixels to
 * input positions; the flips come last) and warps the image once with bilinear sampling; positions outside
 * the image take the nearest edge pixel. Flips are off by default: digits must not be mirrored.
 *
 * <p>Immutable and thread-safe; randomness comes only from the generator passed to {@link #apply}, so a
 * seeded generator gives a reproducible result.
 */
public final class Augmentation {

    private static final Augmentation NONE = builder().build();

    private final double rotationRange;
    private final double zoomRange;
    private final double widthShiftRange;
    private final double heightShiftRange;
    private final double shearRange;
    private final boolean horizontalFlip;
    private final boolean verticalFlip;

    private Augmentation(Builder b) {
        this.rotationRange = b.rotationRange;
        this.zoomRange = b.zoomRange;
        this.widthShiftRange = b.widthShiftRange;
        this.heightShiftRange = b.heightShiftRange;
        this.shearRange = b.shearRange;
        this.horizontalFlip = b.horizontalFlip;
        this.verticalFlip = b.verticalFlip;
    }

    /** {@return a builder with every step off} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the augmentation that changes nothing (for validation and test images)} */
    public static Augmentation none() {
        return NONE;
    }

    /**
     * {@return the notebook's augmentation for the digits: rotation 10 degrees, zoom 0.1, width and height
     * shift 0.1, shear 0.1 (Keras' unit: degrees, so a barely visible shear, kept as the notebook had it),
     * no flips. The notebook's values are not in the project's issue texts; these are the ones the project
     * lead recorded from it, the shear value with a doubt}
     */
    public static Augmentation notebookDigits() {
        return builder()
                .optRotationRange(10)
                .optZoomRange(0.1)
                .optWidthShiftRange(0.1)
                .optHeightShiftRange(0.1)
                .optShearRange(0.1)
                .build();
    }

    /** {@return the rotation range in degrees} */
    public double rotationRange() {
        return rotationRange;
    }

    /** {@return the zoom range: zoom factors are drawn from [1 - zoomRange, 1 + zoomRange]} */
    public double zoomRange() {
        return zoomRange;
    }

    /** {@return the width shift range, a fraction of the width} */
    public double widthShiftRange() {
        return widthShiftRange;
    }

    /** {@return the height shift range, a fraction of the height} */
    public double heightShiftRange() {
        return heightShiftRange;
    }

    /** {@return the shear range in degrees} */
    public double shearRange() {
        return shearRange;
    }

    /** {@return whether images are mirrored left-right with probability 1/2} */
    public boolean horizontalFlip() {
        return horizontalFlip;
    }

    /** {@return whether images are mirrored top-bottom with probability 1/2} */
    public boolean verticalFlip() {
        return verticalFlip;
    }

    /** {@return whether this augmentation leaves every image unchanged (every step off)} */
    public boolean isIdentity() {
        return rotationRange == 0 && zoomRange == 0 && widthShiftRange == 0 && heightShiftRange == 0
                && shearRange == 0 && !horizontalFlip && !verticalFlip;
    }

    /**
     * Augments one image into a new array.
     *
     * @param chw the image, channel planes one after the other ({@code shape.values()} values); not changed
     * @param shape the image's size and channels
     * @param rng the generator the transform is drawn from
     * @return the augmented image, a new array
     * @throws IllegalArgumentException if {@code chw} does not have {@code shape.values()} values
     */
    public float[] apply(float[] chw, InputShape shape, SplittableRandom rng) {
        return apply(chw, shape, rng, new float[shape.values()]);
    }

    /**
     * Augments one image into a given array.
     *
     * @param chw the image, channel planes one after the other ({@code shape.values()} values); not changed
     * @param shape the image's size and channels
     * @param rng the generator the transform is drawn from
     * @param out where to write the result, {@code shape.values()} values, not the same array as {@code chw}
     * @return {@code out}
     * @throws IllegalArgumentException if an array does not have {@code shape.values()} values, or if
     *     {@code out} is {@code chw}
     */
    public float[] apply(float[] chw, InputShape shape, SplittableRandom rng, float[] out) {
        Objects.requireNonNull(rng, "rng");
        if (chw.length != shape.values() || out.length != shape.values()) {
            throw new IllegalArgumentException("image arrays must hold " + shape.values() + " values for "
                    + shape + ", got " + chw.length + " and " + out.length);
        }
        if (chw == out) {
            throw new IllegalArgumentException("the output array must not be the input array");
        }
        if (isIdentity()) {
            System.arraycopy(chw, 0, out, 0, chw.length);
            return out;
        }
        int h = shape.height();
        int w = shape.width();
        double theta = draw(rng, rotationRange);
        double tx = draw(rng, heightShiftRange) * h;
        double ty = draw(rng, widthShiftRange) * w;
        double shear = draw(rng, shearRange);
        double zx = zoomRange > 0 ? rng.nextDouble(1 - zoomRange, 1 + zoomRange) : 1;
        double zy = zoomRange > 0 ? rng.nextDouble(1 - zoomRange, 1 + zoomRange) : 1;
        boolean flipH = horizontalFlip && rng.nextBoolean();
        boolean flipV = verticalFlip && rng.nextBoolean();
        double[] m = matrix(h, w, theta, tx, ty, shear, zx, zy, flipH, flipV);
        warp(chw, shape.channels(), h, w, m, out);
        return out;
    }

    private static double draw(SplittableRandom rng, double range) {
        return range > 0 ? rng.nextDouble(-range, range) : 0.0;
    }

    /**
     * The affine map from an output pixel (row, col) to its input position, as Keras'
     * {@code apply_affine_transform} builds it, followed by the flips:
     * {@code {a, b, e, c, d, f}} with {@code inRow = a*row + b*col + e}, {@code inCol = c*row + d*col + f}.
     *
     * @param thetaDeg rotation in degrees
     * @param txRows shift along the rows (height), in pixels
     * @param tyCols shift along the columns (width), in pixels
     * @param shearDeg shear angle in degrees
     * @param zx zoom factor along the rows
     * @param zy zoom factor along the columns
     */
    static double[] matrix(int h, int w, double thetaDeg, double txRows, double tyCols, double shearDeg,
            double zx, double zy, boolean flipH, boolean flipV) {
        double theta = Math.toRadians(thetaDeg);
        double shear = Math.toRadians(shearDeg);
        double cos = Math.cos(theta);
        double sin = Math.sin(theta);
        // R * T * S * Z, 2x3 row-major on (row, col, 1)
        double[] m = {cos, -sin, 0, sin, cos, 0};
        m = multiply(m, new double[] {1, 0, txRows, 0, 1, tyCols});
        m = multiply(m, new double[] {1, -Math.sin(shear), 0, 0, Math.cos(shear), 0});
        m = multiply(m, new double[] {zx, 0, 0, 0, zy, 0});
        // about the centre: offset * M * reset
        double or = h / 2.0 - 0.5;
        double oc = w / 2.0 - 0.5;
        m = multiply(new double[] {1, 0, or, 0, 1, oc}, multiply(m, new double[] {1, 0, -or, 0, 1, -oc}));
        // flips of the output: row' = h-1-row, col' = w-1-col
        m = multiply(m, new double[] {flipV ? -1 : 1, 0, flipV ? h - 1 : 0, 0, flipH ? -1 : 1, flipH ? w - 1 : 0});
        return m;
    }

    /** Composes two 2x3 affine maps: {@code (p * q)(x) = p(q(x))}. */
    private static double[] multiply(double[] p, double[] q) {
        return new double[] {
            p[0] * q[0] + p[1] * q[3], p[0] * q[1] + p[1] * q[4], p[0] * q[2] + p[1] * q[5] + p[2],
            p[3] * q[0] + p[4] * q[3], p[3] * q[1] + p[4] * q[4], p[3] * q[2] + p[4] * q[5] + p[5]
        };
    }

    /** Warps every channel plane with one affine map, bilinear sampling, nearest-edge fill. */
    static void warp(float[] src, int channels, int h, int w, double[] m, float[] out) {
        int plane = h * w;
        double maxRow = h - 1;
        double maxCol = w - 1;
        for (int r = 0; r < h; r++) {
            double inRow = m[0] * r + m[2];
            double inCol = m[3] * r + m[5];
            for (int c = 0; c < w; c++, inRow += m[1], inCol += m[4]) {
                double y = inRow < 0 ? 0 : Math.min(inRow, maxRow);
                double x = inCol < 0 ? 0 : Math.min(inCol, maxCol);
                int y0 = (int) y;
                int x0 = (int) x;
                int dy = y0 < h - 1 ? w : 0;
                int dx = x0 < w - 1 ? 1 : 0;
                float fy = (float) (y - y0);
                float fx = (float) (x - x0);
                float w00 = (1 - fy) * (1 - fx);
                float w01 = (1 - fy) * fx;
                float w10 = fy * (1 - fx);
                float w11 = fy * fx;
                int i = y0 * w + x0;
                int o = r * w + c;
                if (channels == 3) {
                    out[o] = src[i] * w00 + src[i + dx] * w01 + src[i + dy] * w10 + src[i + dy + dx] * w11;
                    int j = i + plane;
                    out[o + plane] = src[j] * w00 + src[j + dx] * w01 + src[j + dy] * w10 + src[j + dy + dx] * w11;
                    j += plane;
                    out[o + 2 * plane] = src[j] * w00 + src[j + dx] * w01 + src[j + dy] * w10 + src[j + dy + dx] * w11;
                } else {
                    for (int base = 0, ch = 0; ch < channels; ch++, base += plane) {
                        int j = i + base;
                        out[base + o] = src[j] * w00 + src[j + dx] * w01 + src[j + dy] * w10 + src[j + dy + dx] * w11;
                    }
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Augmentation a && a.rotationRange == rotationRange && a.zoomRange == zoomRange
                && a.widthShiftRange == widthShiftRange && a.heightShiftRange == heightShiftRange
                && a.shearRange == shearRange && a.horizontalFlip == horizontalFlip && a.verticalFlip == verticalFlip;
    }

    @Override
    public int hashCode() {
        return Objects.hash(rotationRange, zoomRange, widthShiftRange, heightShiftRange, shearRange,
                horizontalFlip, verticalFlip);
    }

    @Override
    public String toString() {
        return "Augmentation[rotationRange=" + rotationRange + ", zoomRange=" + zoomRange + ", widthShiftRange="
                + widthShiftRange + ", heightShiftRange=" + heightShiftRange + ", shearRange=" + shearRange
                + ", horizontalFlip=" + horizontalFlip + ", verticalFlip=" + verticalFlip + "]";
    }

    /** Builds an {@link Augmentation}; every step is off until set. */
    public static final class Builder {

        private double rotationRange;
        private double zoomRange;
        private double widthShiftRange;
        private double heightShiftRange;
        private double shearRange;
        private boolean horizontalFlip;
        private boolean verticalFlip;

        private Builder() {
        }

        /**
         * Sets the rotation range (Keras {@code rotation_range}).
         *
         * @param degrees the angle is drawn from [-degrees, degrees]; 0 turns rotation off
         * @return this builder
         */
        public Builder optRotationRange(double degrees) {
            this.rotationRange = degrees;
            return this;
        }

        /**
         * Sets the zoom range (Keras {@code zoom_range} as one number).
         *
         * @param range the zoom factors along each axis are drawn from [1 - range, 1 + range]; a factor
         *     above 1 shows more of the image (zooms out); 0 turns zoom off
         * @return this builder
         */
        public Builder optZoomRange(double range) {
            this.zoomRange = range;
            return this;
        }

        /**
         * Sets the width shift range (Keras {@code width_shift_range}, as a fraction).
         *
         * @param fraction the horizontal shift is drawn from [-fraction, fraction] times the width
         * @return this builder
         */
        public Builder optWidthShiftRange(double fraction) {
            this.widthShiftRange = fraction;
            return this;
        }

        /**
         * Sets the height shift range (Keras {@code height_shift_range}, as a fraction).
         *
         * @param fraction the vertical shift is drawn from [-fraction, fraction] times the height
         * @return this builder
         */
        public Builder optHeightShiftRange(double fraction) {
            this.heightShiftRange = fraction;
            return this;
        }

        /**
         * Sets the shear range (Keras {@code shear_range}).
         *
         * @param degrees the shear angle is drawn from [-degrees, degrees]
         * @return this builder
         */
        public Builder optShearRange(double degrees) {
            this.shearRange = degrees;
            return this;
        }

        /**
         * Turns random left-right mirroring on or off (default off).
         *
         * @param flip whether half of the images are mirrored left-right
         * @return this builder
         */
        public Builder optHorizontalFlip(boolean flip) {
            this.horizontalFlip = flip;
            return this;
        }

        /**
         * Turns random top-bottom mirroring on or off (default off).
         *
         * @param flip whether half of the images are mirrored top-bottom
         * @return this builder
         */
        public Builder optVerticalFlip(boolean flip) {
            this.verticalFlip = flip;
            return this;
        }

        /**
         * Builds the augmentation.
         *
         * @return the augmentation
         * @throws IllegalArgumentException if a range is negative or not finite, the zoom range is 1 or more,
         *     a shift range is above 1, or the shear range is 90 degrees or more
         */
        public Augmentation build() {
            check("rotation range (degrees)", rotationRange, rotationRange < Double.POSITIVE_INFINITY, "[0, inf)");
            check("zoom range", zoomRange, zoomRange < 1, "[0, 1)");
            check("width shift range", widthShiftRange, widthShiftRange <= 1, "[0, 1]");
            check("height shift range", heightShiftRange, heightShiftRange <= 1, "[0, 1]");
            check("shear range (degrees)", shearRange, shearRange < 90, "[0, 90)");
            return new Augmentation(this);
        }

        private static void check(String name, double value, boolean belowMax, String interval) {
            if (!(value >= 0 && belowMax)) {
                throw new IllegalArgumentException(name + " must be in " + interval + ", got " + value);
            }
        }
    }
}
