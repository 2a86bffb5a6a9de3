package org.cnnkit.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.Mnist;
import org.cnnkit.core.data.MnistPngExporter;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.zoo.TransferLearner;
import org.cnnkit.zoo.TrainingResult;
import org.cnnkit.zoo.weights.PretrainedWeights;
import org.cnnkit.zoo.weights.WeightsSource;

/**
 * Transfer-learns ImageNet-pretrained MobileNetV2 (frozen base + GlobalAveragePooling + Dense(128, relu) +
 * Dense(3, softmax)) to the MNIST digits 0, 1 and 2, with the base's features cached, and optionally times the same
 * run with the base in the training loop.
 *
 * <pre>
 * java -cp cnnkit.jar org.cnnkit.examples.MobileNetV2TransferExample [ASSETS] [SIZE] [VIEWS] [--compare]
 * </pre>
 *
 * <p>{@code ASSETS} is the folder with {@code mnist/} and {@code mobilenet_v2/} (default {@code ../shared/assets});
 * without the alpha-0.35 weights there, the weights are found in the cache {@code ~/.cnnkit/models} or downloaded.
 * {@code SIZE} is the image size (default 100), {@code VIEWS} the number K of cached views per training image
 * (default 1: no augmentation; with K above 1 each view is a new random augmentation).
 */
public final class MobileNetV2TransferExample {

    private MobileNetV2TransferExample() {
    }

    /**
     * Runs the example.
     *
     * @param args {@code [ASSETS] [SIZE] [VIEWS] [--compare]}
     * @throws Exception if anything fails
     */
    public static void main(String[] args) throws Exception {
        List<String> positional = Arrays.stream(args).filter(a -> !a.startsWith("--")).toList();
        boolean compare = List.of(args).contains("--compare");
        Path assets = Path.of(positional.size() > 0 ? positional.get(0) : "../shared/assets");
        int size = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 100;
        int views = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 1;
        double alpha = 0.35;

        // 1. The digits 0, 1, 2 of the MNIST test set as a class-per-folder tree of PNG files.
        Path folder = Files.createTempDirectory("cnnkit-mnist012");
        MnistPngExporter.builder().setFolder(folder).build().export(
                Mnist.read(assets.resolve("mnist/t10k-images-idx3-ubyte.gz"),
                        assets.resolve("mnist/t10k-labels-idx1-ubyte.gz"))
                        .onlyClasses(List.of(0, 1, 2)));
        ImageFolder images = ImageFolder.scan(folder);
        System.out.println(images);

        // 2. The pretrained weights: the assets' file, else the cache or a download.
        Path assetWeights = assets.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Path weights = Files.isRegularFile(assetWeights) ? assetWeights
                : PretrainedWeights.builder().build().resolve(WeightsSource.mobileNetV2NoTop(alpha, 224));

        InputShape shape = InputShape.rgb(size);
        Augmentation augmentation = views > 1 ? Augmentation.notebookDigits() : Augmentation.none();
        TrainingResult cached = run(weights, alpha, shape, images, augmentation, views, true);
        System.out.printf("feature caching: validation accuracy %.4f, %.1f s%n",
                cached.history().last().validationAccuracy(), cached.history().seconds());
        cached.validation().ifPresent(metrics -> System.out.println(metrics.toTable()));
        if (compare) {
            TrainingResult inLoop = run(weights, alpha, shape, images, augmentation, views, false);
            System.out.printf("base in the loop: validation accuracy %.4f, %.1f s%n",
                    inLoop.history().last().validationAccuracy(), inLoop.history().seconds());
            System.out.printf("speed-up of caching: %.1fx%n", inLoop.history().seconds() / cached.history().seconds());
        }
    }

    private static TrainingResult run(Path weights, double alpha, InputShape shape, ImageFolder images,
            Augmentation augmentation, int views, boolean caching) {
        return TransferLearner.builder()
                .setWeights(weights)
                .optAlpha(alpha)
                .optInputShape(shape)
                .optEpochs(10)
                .optValidationSplit(0.2)
                .optAugmentation(augmentation)
                .optViews(views)
                .optFeatureCaching(caching)
                .optEpochListener((stats, epochs) -> System.out.println("  " + stats))
                .build()
                .train(images);
    }
}
