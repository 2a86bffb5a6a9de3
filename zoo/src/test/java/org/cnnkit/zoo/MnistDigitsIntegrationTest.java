package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.data.Mnist;
import org.cnnkit.core.data.MnistPngExporter;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.metrics.ClassificationMetrics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebook's job on real data, sized for CI: the 3,147 MNIST test digits 0/1/2 of the shared assets, written as a
 * PNG class folder, 80/20 stratified split, augmentation on, the notebook CNN at 28x28 gray for 3 epochs.
 * (The full goal, 100x100 RGB and 10 epochs, is run from the command line; see the classifier docs.)
 */
class MnistDigitsIntegrationTest {

    @TempDir
    Path temp;

    @Test
    void notebookCnnReaches99PercentOnRealDigits012() {
        Path assets = Path.of(System.getProperty("cnnkit.assets", "../shared/assets")).resolve("mnist");
        Path images = assets.resolve("t10k-images-idx3-ubyte.gz");
        Path labels = assets.resolve("t10k-labels-idx1-ubyte.gz");
        Assumptions.assumeTrue(Files.isRegularFile(images) && Files.isRegularFile(labels),
                "MNIST assets not found at " + assets.toAbsolutePath() + ": skipping");
        Path folder = temp.resolve("mnist012");
        MnistPngExporter.builder().setFolder(folder).build()
                .export(Mnist.read(images, labels).onlyClasses(List.of(0, 1, 2)));

        TrainingResult result = ClassifierTrainer.builder()
                .setEpochs(3)
                .optInputShape(new InputShape(28, 28, 1))
                .optValidationSplit(0.2)
                .optAugmentation(Augmentation.notebookDigits())
                .optSeed(1)
                .build()
                .train(folder);

        ClassificationMetrics validation = result.validation().orElseThrow();
        assertThat(validation.count()).isBetween(625, 633);
        assertThat(validation.accuracy()).as(validation.toTable()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.classifier().classNames()).containsExactly("0", "1", "2");
    }
}
