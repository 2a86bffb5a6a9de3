package org.cnnkit.core.image;

/**
 * The image size and channel count a model takes: images are resized to {@code height x width}
 * and converted to {@code channels} channels (1 = grayscale, 3 = RGB) before they reach the network.
 *
 * @param height rows, at least 1
 * @param width columns, at least 1
 * @param channels 1 (grayscale) or 3 (RGB)
 */
public record InputShape(int height, int width, int channels) {

    /**
     * Validates the shape.
     *
     * @param height rows, at least 1
     * @param width columns, at least 1
     * @param channels 1 (grayscale) or 3 (RGB)
     * @throws IllegalArgumentException if a size is not positive or channels is neither 1 nor 3
     */
    public InputShape {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException(
                    "image size must be positive, got " + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grayscale) or 3 (RGB), got " + channels);
        }
    }

    /**
     * Returns a square RGB shape, the common case.
     *
     * @param size height and width
     * @return the shape {@code size x size x 3}
     * @throws IllegalArgumentException if {@code size} is not positive
     */
    public static InputShape rgb(int size) {
        return new InputShape(size, size, 3);
    }

    /** {@return the number of values of one image: {@code height * width * channels}} */
    public int values() {
        return height * width * channels;
    }

    /** {@return {@code [channels, height, width]}, the shape of one image in NCHW layout} */
    public long[] chw() {
        return new long[] {channels, height, width};
    }

    @Override
    public String toString() {
        return height + "x" + width + "x" + channels;
    }
}
