package org.cnnkit.zoo;

import java.util.List;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.data.Split;

/**
 * The images of a class-per-folder tree divided for training: the training and validation files (split on the
 * files, stratified and seeded, before any augmentation) and a one-line summary for logs and provenance. Shared by
 * the trainers of this package.
 */
record FolderSplit(List<String> classes, List<LabeledImage> train, List<LabeledImage> validation, String summary) {

    /**
     * Splits a scanned folder.
     *
     * @param folder the scanned folder
     * @param validationFraction the fraction of each class held out for validation, 0 for none
     * @param seed the seed of the split
     * @return the split
     * @throws CnnkitException naming the folder if it has fewer than 2 classes
     */
    static FolderSplit of(ImageFolder folder, double validationFraction, long seed) {
        List<String> classes = folder.classNames();
        if (classes.size() < 2) {
            throw new CnnkitException("training needs at least 2 class folders, " + folder.root() + " has "
                    + classes.size() + ": " + classes);
        }
        List<LabeledImage> train = folder.images();
        List<LabeledImage> validation = List.of();
        if (validationFraction > 0) {
            Split split = Split.stratified(folder.images(), validationFraction, seed);
            train = split.train();
            validation = split.validation();
        }
        String summary = folder.root() + ": " + folder.images().size() + " images " + folder.countsPerClass()
                + ", " + train.size() + " for training, " + validation.size() + " for validation";
        return new FolderSplit(classes, train, validation, summary);
    }
}
