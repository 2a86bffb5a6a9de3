package org.cnnkit.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.image.TestImages;
import org.cnnkit.core.progress.Progress;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class ImageDataSetIteratorTest {

    private static final InputShape SHAPE = new InputShape(8, 8, 1);
    private static final int PER_CLASS = 7;

    @TempDir
    Path root;

    private ImageFolder folder;

    /** 3 classes of 7 images; image k (0..20) is a solid gray of value 10 k + 5, so batches reveal ids. */
    @BeforeEach
    void writeImages() {
        int k = 0;
        for (String name : List.of("a", "b", "c")) {
            for (int i = 0; i < PER_CLASS; i++, k++) {
                int v = 10 * k + 5;
                TestImages.png(root.resolve(name).resolve("img" + i + ".png"), 12, 10, new Color(v, v, v));
            }
        }
        folder = ImageFolder.scan(root);
    }

    private ImageDataSetIterator.Builder builder() {
        return ImageDataSetIterator.builder()
                .setImages(folder.images())
                .setNumClasses(folder.numClasses())
                .setInputShape(SHAPE)
                .optPreprocessing(Preprocessing.NONE)
                .optBatchSize(8)
                .optSeed(42);
    }

    /** The ids of a batch's images, from their pixel value (first pixel = 10 id + 5). */
    private static List<Integer> ids(DataSet batch) {
        List<Integer> ids = new ArrayList<>();
        INDArray features = batch.getFeatures();
        for (int i = 0; i < features.size(0); i++) {
            ids.add((int) ((features.getFloat(i, 0, 0, 0) - 5) / 10));
        }
        return ids;
    }

    private static List<DataSet> epoch(ImageDataSetIterator iterator) {
        iterator.reset();
        List<DataSet> batches = new ArrayList<>();
        while (iterator.hasNext()) {
            batches.add(iterator.next());
        }
        return batches;
    }

    private static List<Integer> epochIds(ImageDataSetIterator iterator) {
        List<Integer> ids = new ArrayList<>();
        for (DataSet batch : epoch(iterator)) {
            ids.addAll(ids(batch));
        }
        return ids;
    }

    private static List<float[]> features(List<DataSet> batches) {
        List<float[]> out = new ArrayList<>();
        for (DataSet batch : batches) {
            out.add(batch.getFeatures().dup().data().asFloat());
        }
        return out;
    }

    @Test
    void batchesAreNchwWithOneHotLabelsOfTheRightClass() {
        try (ImageDataSetIterator iterator = builder().build()) {
            List<DataSet> batches = epoch(iterator);
            assertThat(batches).extracting(b -> b.getFeatures().shape())
                    .containsExactly(new long[] {8, 1, 8, 8}, new long[] {8, 1, 8, 8}, new long[] {5, 1, 8, 8});
            for (DataSet batch : batches) {
                INDArray labels = batch.getLabels();
                assertThat(labels.shape()).containsExactly(batch.getFeatures().size(0), 3);
                List<Integer> ids = ids(batch);
                for (int i = 0; i < ids.size(); i++) {
                    assertThat(labels.getRow(i).sumNumber().floatValue()).isEqualTo(1f);
                    assertThat(labels.getFloat(i, ids.get(i) / PER_CLASS)).isEqualTo(1f);
                }
            }
            assertThat(iterator.inputColumns()).isEqualTo(64);
            assertThat(iterator.totalOutcomes()).isEqualTo(3);
            assertThat(iterator.totalExamples()).isEqualTo(21);
            assertThat(iterator.batch()).isEqualTo(8);
            assertThat(iterator.resetSupported()).isTrue();
            assertThat(iterator.asyncSupported()).isFalse();
        }
    }

    @Test
    void everyImageComesExactlyOncePerEpochInANewOrderEachEpoch() {
        try (ImageDataSetIterator iterator = builder().optWorkers(2).build()) {
            List<Integer> first = epochIds(iterator);
            List<Integer> second = epochIds(iterator);
            List<Integer> all = new ArrayList<>();
            for (int k = 0; k < 21; k++) {
                all.add(k);
            }
            assertThat(first).containsExactlyInAnyOrderElementsOf(all);
            assertThat(second).containsExactlyInAnyOrderElementsOf(all);
            assertThat(first).isNotEqualTo(second).isNotEqualTo(all);
            assertThat(iterator.epoch()).isEqualTo(1);
        }
    }

    @Test
    void sameSeedGivesBitIdenticalEpochsWhateverTheWorkersAndTheCache() {
        Augmentation augmentation = Augmentation.notebookDigits();
        List<List<float[]>> runs = new ArrayList<>();
        for (int workers : new int[] {1, 3}) {
            for (boolean cache : new boolean[] {true, false}) {
                try (ImageDataSetIterator iterator = builder().optAugmentation(augmentation).optWorkers(workers)
                        .optPrefetchBatches(workers == 1 ? 1 : 3).optCacheDecoded(cache).build()) {
                    List<float[]> run = new ArrayList<>(features(epoch(iterator)));
                    run.addAll(features(epoch(iterator)));
                    runs.add(run);
                }
            }
        }
        for (List<float[]> run : runs.subList(1, runs.size())) {
            assertThat(run).hasSameSizeAs(runs.get(0));
            for (int i = 0; i < run.size(); i++) {
                assertThat(run.get(i)).containsExactly(runs.get(0).get(i));
            }
        }
        try (ImageDataSetIterator other = builder().optAugmentation(augmentation).optSeed(43).build()) {
            assertThat(features(epoch(other)).get(0)).isNotEqualTo(runs.get(0).get(0));
        }
    }

    @Test
    void augmentedEpochsDifferEvenInTheSameOrder() {
        // a gradient image, so that geometric transforms change pixel values
        Path gradient = root.resolve("grad.png");
        BufferedImage image = new BufferedImage(8, 8,
                BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                image.getRaster().setSample(x, y, 0, 30 * x + y);
            }
        }
        TestImages.write(image, "png", gradient);
        try (ImageDataSetIterator iterator = ImageDataSetIterator.builder()
                .setImages(List.of(new LabeledImage(gradient, 0), new LabeledImage(gradient, 0)))
                .setNumClasses(1).setInputShape(SHAPE).optShuffle(false).optSeed(1)
                .optAugmentation(Augmentation.builder().optRotationRange(30).optWidthShiftRange(0.2).build())
                .build()) {
            float[] first = features(epoch(iterator)).get(0);
            float[] second = features(epoch(iterator)).get(0);
            assertThat(first).isNotEqualTo(second);
            // two copies of one file, different augmentations within an epoch too
            assertThat(Arrays.copyOf(first, 64)).isNotEqualTo(Arrays.copyOfRange(first, 64, 128));
        }
    }

    @Test
    void validationIteratorWithoutAugmentationOrShuffleGivesIdenticalEpochs() {
        try (ImageDataSetIterator iterator = builder().optShuffle(false).build()) {
            List<float[]> first = features(epoch(iterator));
            List<float[]> second = features(epoch(iterator));
            for (int i = 0; i < first.size(); i++) {
                assertThat(second.get(i)).containsExactly(first.get(i));
            }
            assertThat(epochIds(iterator)).isSorted();
        }
    }

    @Test
    void preprocessingIsApplied() {
        try (ImageDataSetIterator iterator = builder().optShuffle(false).optPreprocessing(Preprocessing.RESCALE)
                .build()) {
            DataSet batch = iterator.next();
            assertThat(batch.getFeatures().getFloat(1, 0, 3, 3)).isCloseTo(15f / 255f, within(1e-6f));
        }
    }

    @Test
    void undecodableFilesAreSkippedCountedAndListedWithAndWithoutTheCache() throws IOException {
        Path empty = Files.createFile(root.resolve("a/empty.png"));
        Path text = Files.writeString(root.resolve("b/text.jpg"), "hello");
        Path whole = TestImages.write(TestImages.noise(40, 40, 1), "png", root.resolve("whole.png"));
        Path cut = TestImages.truncated(whole, root.resolve("c/cut.png"), Files.size(whole) / 2);
        Files.delete(whole);
        folder = ImageFolder.scan(root);
        assertThat(folder.images()).hasSize(24);
        for (boolean cache : new boolean[] {true, false}) {
            try (ImageDataSetIterator iterator = builder().optCacheDecoded(cache).build()) {
                for (int e = 0; e < 2; e++) {
                    List<Integer> ids = epochIds(iterator);
                    assertThat(ids).hasSize(21).doesNotHaveDuplicates();
                }
                assertThat(iterator.skippedFiles()).containsExactlyInAnyOrder(empty, text, cut);
                assertThat(iterator.totalExamples()).isEqualTo(21);
            }
        }
    }

    @Test
    void decodingOnceReportsProgress() {
        List<Progress> seen = new CopyOnWriteArrayList<>();
        try (ImageDataSetIterator iterator = builder().optProgressListener(seen::add).build()) {
            epoch(iterator);
            epoch(iterator);
        }
        assertThat(seen).isNotEmpty().allMatch(p -> p.task().equals("decoding") && p.total() == 21);
        assertThat(seen.get(seen.size() - 1).finished()).isTrue();
        assertThat(seen).filteredOn(Progress::finished).hasSize(1);
    }

    @Test
    void closeLeavesNoDecodingThreadsAndRefusesFurtherUse() {
        ImageDataSetIterator iterator = builder().optWorkers(3).build();
        assertThat(decodingThreads()).isZero();
        iterator.next();
        assertThat(decodingThreads()).isPositive();
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().startsWith("cnnkit-decode-"))
                .allMatch(Thread::isDaemon);
        iterator.close();
        assertThat(decodingThreads()).isZero();
        assertThatThrownBy(iterator::hasNext).isInstanceOf(IllegalStateException.class);
        iterator.close();
    }

    @Test
    void resetBeforeTheFirstBatchKeepsTheEpoch() {
        try (ImageDataSetIterator iterator = builder().build()) {
            iterator.reset();
            iterator.hasNext();
            iterator.reset();
            assertThat(iterator.epoch()).isZero();
            iterator.next();
            iterator.reset();
            assertThat(iterator.epoch()).isEqualTo(1);
        }
    }

    @Test
    void emptyImageListGivesEmptyEpochs() {
        try (ImageDataSetIterator iterator = builder().setImages(List.of()).build()) {
            assertThat(iterator.hasNext()).isFalse();
            iterator.reset();
            assertThat(iterator.hasNext()).isFalse();
            assertThat(iterator.totalExamples()).isZero();
        }
    }

    @Test
    void classNamesAreTheLabels() {
        try (ImageDataSetIterator iterator = builder().optClassNames(folder.classNames()).build()) {
            assertThat(iterator.getLabels()).containsExactly("a", "b", "c");
        }
    }

    @Test
    void builderRefusesLabelsOutsideTheClassCountNamingTheImage() {
        assertThatThrownBy(() -> builder().setNumClasses(2).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label 2")
                .hasMessageContaining("img0.png");
        assertThatThrownBy(() -> builder().optBatchSize(0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().optClassNames(List.of("x")).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void networkFitsFromTheIteratorForSeveralEpochs() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).list()
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(8, 8, 1))
                .build();
        MultiLayerNetwork network = new MultiLayerNetwork(conf);
        network.init();
        try (ImageDataSetIterator iterator = builder().optPreprocessing(Preprocessing.RESCALE).build()) {
            network.fit(iterator, 3);
            assertThat(iterator.epoch()).isEqualTo(2);
            assertThat(network.getEpochCount()).isEqualTo(3);
            assertThat(network.getIterationCount()).isEqualTo(9);
        }
    }

    private static long decodingThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("cnnkit-decode-") && t.isAlive()).count();
    }
}
