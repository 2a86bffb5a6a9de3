package org.cnnkit.core.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The seeded randomness of one epoch over a list of images: the order the images are shown in, and the random
 * generator each image's augmentation draws from. A function of the seed, the epoch and the image's position
 * only, so that {@link ImageDataSetIterator} and the DataVec record reader
 * ({@code org.cnnkit.core.datavec.PipelineRecordReader}) give the same images, augmented the same way, in the same
 * order for the same seed, whatever the thread that decodes them.
 */
public final class EpochRandomness {

    private static final long SHUFFLE_SALT = 0x5AFEC0DE5EEDL;

    private EpochRandomness() {
    }

    /**
     * Shuffles image positions for an epoch (Fisher-Yates with a generator seeded by the seed and the epoch).
     *
     * @param positions the positions of the images in the epoch (for example {@code 0..n-1}, without the files
     *     known to be unreadable); not modified
     * @param seed the base seed
     * @param epoch the epoch, from 0
     * @return a shuffled copy
     */
    public static int[] shuffledOrder(int[] positions, long seed, int epoch) {
        int[] order = Arrays.copyOf(positions, positions.length);
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed ^ SHUFFLE_SALT, epoch));
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /**
     * The generator one image's augmentation draws from in an epoch.
     *
     * @param seed the base seed
     * @param epoch the epoch, from 0
     * @param position the image's position in the list of images
     * @return a new generator
     */
    public static SplittableRandom augmentationRandom(long seed, int epoch, int position) {
        return new SplittableRandom(Seeds.mix(seed, epoch, position));
    }
}
