package org.cnnkit.core.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A training / validation split of image files.
 *
 * <p>Split the files BEFORE any augmentation, so that the validation set holds no (augmented) copy of a
 * training image; feed the validation images to an iterator without augmentation.
 *
 * @param train the training images
 * @param validation the validation images
 */
public record Split(List<LabeledImage> train, List<LabeledImage> validation) {

    /**
     * Copies the lists.
     *
     * @param train the training images
     * @param validation the validation images
     * @throws NullPointerException if a list or an element is null
     */
    public Split {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /**
     * Splits images stratified by class: within each class, the images are shuffled with a generator
     * derived from {@code seed} and the class label, and {@code round(validationFraction * n)} of them go
     * to validation, but at least one image of every class stays in training. Both lists keep the input
     * order. The same inputs and seed always give the same split, and a class's split does not depend on
     * the other classes.
     *
     * @param images the images to split
     * @param validationFraction the share of each class for validation, in [0, 1); 0 gives an empty
     *     validation list
     * @param seed the seed of the shuffle
     * @return the split
     * @throws IllegalArgumentException if {@code validationFraction} is outside [0, 1) or not a number
     * @throws NullPointerException if {@code images} is null
     */
    public static Split stratified(List<LabeledImage> images, double validationFraction, long seed) {
        Objects.requireNonNull(images, "images");
        if (!(validationFraction >= 0.0 && validationFraction < 1.0)) {
            throw new IllegalArgumentException(
                    "validation fraction must be in [0, 1), got " + validationFraction);
        }
        TreeMap<Integer, List<Integer>> byClass = new TreeMap<>();
        for (int i = 0; i < images.size(); i++) {
            byClass.computeIfAbsent(images.get(i).label(), k -> new ArrayList<>()).add(i);
        }
        boolean[] toValidation = new boolean[images.size()];
        for (var entry : byClass.entrySet()) {
            int[] indices = entry.getValue().stream().mapToInt(Integer::intValue).toArray();
            int n = indices.length;
            int count = (int) Math.min(n - 1L, Math.round(validationFraction * n));
            SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, entry.getKey()));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = indices[i];
                indices[i] = indices[j];
                indices[j] = t;
            }
            for (int i = 0; i < count; i++) {
                toValidation[indices[i]] = true;
            }
        }
        List<LabeledImage> train = new ArrayList<>();
        List<LabeledImage> validation = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            (toValidation[i] ? validation : train).add(images.get(i));
        }
        return new Split(train, validation);
    }
}
