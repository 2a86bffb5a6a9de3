package org.cnnkit.core.datavec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.cnnkit.core.data.ImageDataSetIterator;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.image.Augmentation;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.datavec.api.records.Record;
import org.datavec.api.split.FileSplit;
import org.datavec.api.writable.IntWritable;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.datavec.api.writable.batch.NDArrayRecordBatch;
import org.deeplearning4j.datasets.datavec.RecordReaderDataSetIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

class PipelineRecordReaderTest {

    private static final InputShape SHAPE = InputShape.rgb(20);

    @TempDir
    Path temp;

    @Test
    void recordReaderDataSetIteratorGivesTheSameBatchesAsImageDataSetIterator() throws IOException {
        ImageFolder folder = ImageFolder.scan(writeImages(temp.resolve("images"), List.of("a", "b", "c"), 7));
        Augmentation augmentation = Augmentation.notebookDigits();
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE)
                .optAugmentation(augmentation).optShuffle(true).optSeed(5).build();
        reader.initialize(folder);
        RecordReaderDataSetIterator viaDataVec = new RecordReaderDataSetIterator(reader, 6, 1, 3);
        try (ImageDataSetIterator own = ImageDataSetIterator.builder().setImages(folder.images()).setNumClasses(3)
                .setInputShape(SHAPE).optAugmentation(augmentation).optShuffle(true).optSeed(5).optBatchSize(6)
                .optWorkers(2).build()) {
            for (int epoch = 0; epoch < 2; epoch++) {
                List<DataSet> expected = drain(own);
                List<DataSet> actual = drain(viaDataVec);
                assertThat(actual).hasSameSizeAs(expected).hasSize(4);
                for (int b = 0; b < expected.size(); b++) {
                    assertThat(actual.get(b).getLabels()).as("epoch %d batch %d labels", epoch, b)
                            .isEqualTo(expected.get(b).getLabels());
                    assertThat(actual.get(b).getFeatures().shape()).isEqualTo(expected.get(b).getFeatures().shape());
                    assertThat(actual.get(b).getFeatures().equalsWithEps(expected.get(b).getFeatures(), 1e-6))
                            .as("epoch %d batch %d features", epoch, b).isTrue();
                    assertThat(actual.get(b).getLabels()).isEqualTo(expected.get(b).getLabels());
                }
                own.reset();
                viaDataVec.reset();
            }
        }
        assertThat(reader.epoch()).isEqualTo(2);
    }

    @Test
    void epochsDifferInOrderAndAugmentationButRepeatForTheSameSeed() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("a", "b"), 5);
        List<List<Writable>> first = new ArrayList<>();
        List<List<Writable>> second = new ArrayList<>();
        for (List<List<Writable>> run : List.of(first, second)) {
            PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE)
                    .optAugmentation(Augmentation.notebookDigits()).optShuffle(true).optSeed(9).build();
            reader.initialize(new FileSplit(root.toFile()));
            for (int epoch = 0; epoch < 2; epoch++) {
                while (reader.hasNext()) {
                    run.add(reader.next());
                }
                reader.reset();
            }
        }
        assertThat(first).hasSize(20);
        for (int i = 0; i < first.size(); i++) {
            assertThat(first.get(i)).isEqualTo(second.get(i));
        }
        assertThat(first.subList(0, 10)).isNotEqualTo(first.subList(10, 20));
    }

    @Test
    void readsAFileSplitLabelledByTheParentFolder() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("cat", "ant", "bee"), 2);
        Files.writeString(root.resolve("notes.txt"), "not an image");
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE)
                .optPreprocessing(Preprocessing.NONE).build();
        reader.initialize(new FileSplit(root.toFile()));

        assertThat(reader.getLabels()).containsExactly("ant", "bee", "cat");
        Record record = reader.nextRecord();
        assertThat(record.getRecord()).hasSize(2);
        NDArrayWritable pixels = (NDArrayWritable) record.getRecord().get(0);
        assertThat(pixels.get().shape()).containsExactly(1, 3, 20, 20);
        assertThat(pixels.get().maxNumber().doubleValue()).isGreaterThan(1.0).isLessThanOrEqualTo(255.0);
        assertThat(record.getRecord().get(1)).isEqualTo(new IntWritable(0));
        assertThat(Path.of(record.getMetaData().getURI()).getParent().getFileName().toString()).isEqualTo("ant");

        Record again = reader.loadFromMetaData(record.getMetaData());
        assertThat(again.getRecord()).isEqualTo(record.getRecord());
        try (DataInputStream in = new DataInputStream(Files.newInputStream(Path.of(record.getMetaData().getURI())))) {
            assertThat(reader.record(record.getMetaData().getURI(), in)).isEqualTo(record.getRecord());
        }
        int count = 1;
        while (reader.hasNext()) {
            reader.next();
            count++;
        }
        assertThat(count).isEqualTo(6);
    }

    @Test
    void skipsFilesThatCannotBeDecoded() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("a", "b"), 3);
        Files.writeString(root.resolve("a").resolve("broken.png"), "not a png");
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE).build();
        reader.initialize(new FileSplit(root.toFile()));
        for (int epoch = 0; epoch < 2; epoch++) {
            int count = 0;
            while (reader.hasNext()) {
                reader.next();
                count++;
            }
            assertThat(count).isEqualTo(6);
            reader.reset();
        }
    }

    @Test
    void refusesToBuildWithoutAnInputShapeAndToReadBeforeInitialize() {
        assertThatThrownBy(() -> PipelineRecordReader.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("setInputShape");
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE).build();
        assertThat(reader.hasNext()).isFalse();
    }

    @Test
    void batchesHoldTheRecordsInOrderWithOneHotLabelsWithAndWithoutTheCache() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("a", "b", "c"), 5);
        Files.writeString(root.resolve("b").resolve("broken.png"), "not a png");
        for (boolean cache : List.of(true, false)) {
            List<List<Writable>> records = new ArrayList<>();
            PipelineRecordReader byRecord = reader(cache);
            byRecord.initialize(new FileSplit(root.toFile()));
            for (int epoch = 0; epoch < 2; epoch++) {
                while (byRecord.hasNext()) {
                    records.add(byRecord.next());
                }
                byRecord.reset();
            }
            assertThat(records).as("cache %s", cache).hasSize(30);

            PipelineRecordReader byBatch = reader(cache);
            byBatch.initialize(new FileSplit(root.toFile()));
            assertThat(byBatch.batchesSupported()).isTrue();
            int k = 0;
            for (int epoch = 0; epoch < 2; epoch++) {
                List<Integer> sizes = new ArrayList<>();
                while (byBatch.hasNext()) {
                    NDArrayRecordBatch batch = (NDArrayRecordBatch) byBatch.next(4);
                    INDArray features = batch.getArrays().get(0);
                    INDArray labels = batch.getArrays().get(1);
                    sizes.add(batch.size());
                    assertThat(labels.shape()).containsExactly(batch.size(), 3);
                    for (int i = 0; i < batch.size(); i++, k++) {
                        INDArray expected = ((NDArrayWritable) records.get(k).get(0)).get();
                        assertThat(features.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(),
                                NDArrayIndex.all(), NDArrayIndex.all()).equalsWithEps(expected, 1e-6))
                                .as("cache %s, image %d", cache, k).isTrue();
                        int label = records.get(k).get(1).toInt();
                        assertThat(labels.getDouble(i, label)).isEqualTo(1.0);
                        assertThat(labels.getRow(i).sumNumber().doubleValue()).isEqualTo(1.0);
                    }
                }
                assertThat(sizes).as("cache %s", cache).containsExactly(4, 4, 4, 3);
                byBatch.reset();
            }
            assertThat(k).isEqualTo(30);
        }
    }

    @Test
    void mixingBatchSizesAndSingleRecordsKeepsTheOrder() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("a", "b"), 6);
        PipelineRecordReader byRecord = reader(true);
        byRecord.initialize(new FileSplit(root.toFile()));
        List<INDArray> expected = new ArrayList<>();
        while (byRecord.hasNext()) {
            expected.add(((NDArrayWritable) byRecord.next().get(0)).get());
        }

        PipelineRecordReader mixed = reader(true);
        mixed.initialize(new FileSplit(root.toFile()));
        List<INDArray> actual = new ArrayList<>();
        // each call changes what was built ahead: a batch of 3 prefetches 3, then 2 and a single record drop it
        for (int size : new int[] {3, 2, 1, 5, 1}) {
            if (size == 1) {
                actual.add(((NDArrayWritable) mixed.next().get(0)).get());
                continue;
            }
            INDArray features = ((NDArrayRecordBatch) mixed.next(size)).getArrays().get(0);
            for (int i = 0; i < features.size(0); i++) {
                actual.add(features.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.all()).dup());
            }
        }
        assertThat(mixed.hasNext()).isFalse();
        assertThat(actual).hasSameSizeAs(expected).hasSize(12);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).equalsWithEps(expected.get(i), 1e-6)).as("image %d", i).isTrue();
        }
    }

    @Test
    void decodesOnItsOwnWorkerThreads() throws IOException {
        Path root = writeImages(temp.resolve("images"), List.of("a", "b"), 8);
        PipelineRecordReader reader = PipelineRecordReader.builder().setInputShape(SHAPE).optWorkers(2).build();
        reader.initialize(new FileSplit(root.toFile()));
        reader.next(4);
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
                .anyMatch(name -> name.startsWith("cnnkit-decode-"));
        reader.close();
        assertThat(reader.hasNext()).isFalse();
        assertThatThrownBy(() -> PipelineRecordReader.builder().optWorkers(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> reader(true).next(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static PipelineRecordReader reader(boolean cache) {
        return PipelineRecordReader.builder().setInputShape(SHAPE).optAugmentation(Augmentation.notebookDigits())
                .optShuffle(true).optSeed(11).optCacheDecoded(cache).optWorkers(2).build();
    }

    private static List<DataSet> drain(org.nd4j.linalg.dataset.api.iterator.DataSetIterator iterator) {
        List<DataSet> batches = new ArrayList<>();
        while (iterator.hasNext()) {
            batches.add(iterator.next());
        }
        return batches;
    }

    /** Writes {@code perClass} noisy 24x24 PNG images of one dominant colour per class folder. */
    static Path writeImages(Path root, List<String> classes, int perClass) throws IOException {
        SplittableRandom rng = new SplittableRandom(3);
        for (int c = 0; c < classes.size(); c++) {
            Path dir = Files.createDirectories(root.resolve(classes.get(c)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 24; y++) {
                    for (int x = 0; x < 24; x++) {
                        int[] rgb = {rng.nextInt(80), rng.nextInt(80), rng.nextInt(80)};
                        rgb[c % 3] = 150 + rng.nextInt(100);
                        image.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
                    }
                }
                ImageIO.write(image, "png", dir.resolve(classes.get(c) + "-" + i + ".png").toFile());
            }
        }
        return root;
    }
}
