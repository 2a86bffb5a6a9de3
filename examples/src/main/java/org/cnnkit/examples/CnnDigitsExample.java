package org.cnnkit.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.cnnkit.zoo.ClassifierTrainer;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.Prediction;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.TrainingResult;

/**
 * Tutorial: train the notebook's CNN on handwritten digits, evaluate it, save it, load it back and predict.
 *
 * <p>Run it from the repository root after building:
 * <pre>
 * java -cp "examples/target/cnnkit.jar:examples/target/lib/*" org.cnnkit.examples.CnnDigitsExample [IMAGE_SIZE]
 * </pre>
 * {@code IMAGE_SIZE} defaults to 28 (the digits' own size, a minute or two on a laptop); the notebook used 100,
 * which costs about 13 times more per image.
 */
public final class CnnDigitsExample {

    private CnnDigitsExample() {
    }

    /**
     * Runs the tutorial.
     *
     * @param args optionally the image size in pixels (default 28)
     * @throws Exception if a file cannot be written
     */
    public static void main(String[] args) throws Exception {
        int imageSize = args.length > 0 ? Integer.parseInt(args[0]) : 28;

        // 1. Data: 450 real MNIST digits (0, 1, 2) ship inside cnnkit. Write them as an image folder:
        //    one sub-folder per class, like Keras' flow_from_directory.
        Path digits = EmbeddedDigits.load().extractToTemporaryFolder();
        System.out.println("Digits written to " + digits);

        // 2. Training settings. The trainer holds 20% of each class out for validation (those images are never
        //    augmented), augments the training images like the notebook (small rotations, zooms, shifts, shears;
        //    no flips: a mirrored 2 is not a 2), and trains the notebook's CNN with Adam.
        ClassifierTrainer trainer = ClassifierTrainer.builder()
                .setEpochs(10)
                .optNetwork(SeedCnn.NOTEBOOK)
                .optInputShape(InputShape.rgb(imageSize))
                .optBatchSize(32)
                .optValidationSplit(0.2)
                .optAugmentation(Augmentation.notebookDigits())
                .optSeed(42) // same seed, same data, same settings: same result
                .optEpochListener((stats, epochs) -> System.out.println(stats))
                .build();

        // 3. Train. The result holds the classifier, the history of every epoch, and the validation metrics.
        TrainingResult result = trainer.train(digits);
        ClassificationMetrics validation = result.validation().orElseThrow();
        System.out.println();
        System.out.println("Validation after " + result.history().epochs().size() + " epochs:");
        System.out.print(validation.toTable());

        // 4. Save to one file and load it back: the file carries the network, the class names, the input size
        //    and the preprocessing, so the loaded model predicts exactly as the trained one.
        Path modelFile = Files.createTempDirectory("cnnkit-model").resolve("digits.cnnkit");
        result.classifier().save(modelFile);
        ImageClassifier classifier = ImageClassifier.load(modelFile);
        System.out.println();
        System.out.println("Saved and reloaded " + classifier + " from " + modelFile);

        // 5. Predict a file: the top classes with their probabilities.
        Path image;
        try (var files = Files.list(digits.resolve("2"))) {
            image = files.sorted().findFirst().orElseThrow();
        }
        Prediction prediction = classifier.predict(image, 3);
        System.out.println("Prediction for " + image.getFileName() + " (a 2):");
        prediction.top().forEach(label -> System.out.printf("  %s  %.4f%n", label.label(), label.probability()));
    }
}
