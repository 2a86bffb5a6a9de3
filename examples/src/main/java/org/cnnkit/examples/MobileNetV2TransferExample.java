package org.cnnkit.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.Mnist;
import org.cnnkit.core.data.MnistPngExporter;
import org.cnnkit.core.data.Split;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.TransferLearner;
import org.cnnkit.zoo.TransferResult;
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
        List<String> positional = java.util.Arrays.stream(args).filter(a -> !a.startsWith("--")).toList();
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
        Split split = Split.stratified(images.images(), 0.2, 42);
        System.out.printf("%d images, %d for training, %d for validation%n", images.images().size(),
                split.train().size(), split.validation().size());

        // 2. The pretrained weights: the assets' file, else the cache or a download.
        Path assetWeights = assets.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        Path weights = Files.isRegularFile(assetWeights) ? assetWeights
                : PretrainedWeights.builder().build().resolve(WeightsSource.mobileNetV2NoTop(alpha, 224));

        InputShape shape = InputShape.rgb(size);
        Augmentation augmentation = views > 1 ? Augmentation.notebookDigits() : Augmentation.none();
        TransferResult cached = run(weights, alpha, shape, split, images, augmentation, views, true);
        System.out.printf("feature caching: validation accuracy %.4f, %.1f s (features %.1f s + head %.1f s)%n",
                cached.last().validationAccuracy(), cached.totalSeconds(), cached.featureSeconds(),
                cached.trainSeconds());
        if (compare) {
            TransferResult inLoop = run(weights, alpha, shape, split, images, augmentation, views, false);
            System.out.printf("base in the loop: validation accuracy %.4f, %.1f s%n",
                    inLoop.last().validationAccuracy(), inLoop.totalSeconds());
            System.out.printf("speed-up of caching: %.1fx%n", inLoop.totalSeconds() / cached.totalSeconds());
        }
    }

    private static TransferResult run(Path weights, double alpha, InputShape shape, Split split, ImageFolder images,
            Augmentation augmentation, int views, boolean caching) {
        try (ImageDataSetIterator train = iterator(split.train(), images, shape, augmentation);
                ImageDataSetIterator validation = iterator(split.validation(), images, shape, Augmentation.none())) {
            return TransferLearner.builder()
                    .setWeights(weights)
                    .optAlpha(alpha)
                    .optInputShape(shape)
                    .optEpochs(10)
                    .optViews(views)
                    .optFeatureCaching(caching)
                    .optProgressListener(p -> {
                        if (p.finished() || p.done() % 320 == 0) {
                            System.out.printf("  %s: %d/%d (%.1f s)%n", p.task(), p.done(), p.total(),
                                    p.elapsed().toMillis() / 1000.0);
                        }
                    })
                    .build()
                    .train(train, validation, images.classNames());
        }
    }

    private static ImageDataSetIterator iterator(List<org.cnnkit.core.data.LabeledImage> files, ImageFolder images,
            InputShape shape, Augmentation augmentation) {
        return ImageDataSetIterator.builder()
                .setImages(files)
                .setNumClasses(images.numClasses())
                .setInputShape(shape)
                .optPreprocessing(Preprocessing.MOBILENET_V2)
                .optAugmentation(augmentation)
                .optBatchSize(32)
                .optSeed(42)
                .optClassNames(images.classNames())
                .build();
    }
}
