package org.cnnkit.core.image;

/**
 * How a model wants its pixels: the last step of the pipeline, applied to decoded (and possibly
 * augmented) images whose values are RGB (or gray) intensities in [0, 255], in channel-first order.
 *
 * <p>A model declares its mode and carries it when saved, so that predictions on a loaded model see
 * pixels prepared exactly as in training.
 */
public enum Preprocessing {

    /** Pixels as they are, in [0, 255]. */
    NONE,

    /** Divides by 255: pixels in [0, 1] (the notebook's {@code rescale=1./255}). */
    RESCALE,

    /** MobileNetV2 ({@code tf} mode): {@code x / 127.5 - 1}, pixels in [-1, 1]. */
    MOBILENET_V2,

    /**
     * VGG16 ({@code caffe} mode): RGB to BGR, then subtract the ImageNet channel means
     * (B 103.939, G 116.779, R 123.68); no scaling. Needs 3 channels.
     */
    VGG16_CAFFE;

    private static final float[] CAFFE_BGR_MEANS = {103.939f, 116.779f, 123.68f};

    /**
     * Applies this mode in place to one image in channel-first layout.
     *
     * @param chw the image, {@code channels * height * width} values, channel planes one after the other
     * @param channels the number of channel planes in {@code chw}
     * @throws IllegalArgumentException if the array length is not a multiple of {@code channels}, or
     *     if this mode is {@link #VGG16_CAFFE} and {@code channels} is not 3
     */
    public void applyInPlace(float[] chw, int channels) {
        if (channels < 1 || chw.length % channels != 0) {
            throw new IllegalArgumentException(
                    "image of " + chw.length + " values does not split into " + channels + " channel planes");
        }
        switch (this) {
            case NONE -> { }
            case RESCALE -> scale(chw, 1f / 255f, 0f);
            case MOBILENET_V2 -> scale(chw, 1f / 127.5f, -1f);
            case VGG16_CAFFE -> caffe(chw, channels);
            default -> throw new AssertionError(this);
        }
    }

    private static void scale(float[] values, float factor, float offset) {
        for (int i = 0; i < values.length; i++) {
            values[i] = values[i] * factor + offset;
        }
    }

    private static void caffe(float[] chw, int channels) {
        if (channels != 3) {
            throw new IllegalArgumentException("VGG16_CAFFE preprocessing needs 3 channels, got " + channels);
        }
        int plane = chw.length / 3;
        for (int i = 0; i < plane; i++) {
            float r = chw[i];
            float b = chw[2 * plane + i];
            chw[i] = b - CAFFE_BGR_MEANS[0];
            chw[plane + i] -= CAFFE_BGR_MEANS[1];
            chw[2 * plane + i] = r - CAFFE_BGR_MEANS[2];
        }
    }
}
