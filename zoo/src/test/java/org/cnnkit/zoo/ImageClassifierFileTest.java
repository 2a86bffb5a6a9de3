package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class ImageClassifierFileTest {

    private static final InputShape SHAPE = new InputShape(20, 20, 1);
    private static final List<String> CLASSES = List.of("zero", "one = 1", "ünïcode: two");

    private static ImageClassifier classifier;
    private static INDArray images;

    @TempDir
    Path folder;

    @BeforeAll
    static void trainALittle() {
        Nd4j.getRandom().setSeed(3);
        images = Nd4j.rand(DataType.FLOAT, 6, 1, 20, 20);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 6, 3);
        for (int i = 0; i < 6; i++) {
            labels.putScalar(i, i % 3, 1f);
        }
        ComputationGraph network = SeedCnn.NOTEBOOK.create(SHAPE, 3, 11);
        network.fit(new DataSet(images, labels));
        classifier = ImageClassifier.builder()
                .setNetwork(network)
                .setClassNames(CLASSES)
                .setInputShape(SHAPE)
                .setPreprocessing(Preprocessing.RESCALE)
                .optProvenance(ModelProvenance.of("seedcnn-notebook", 11, Map.of("epochs", "1"), "6 random images"))
                .build();
    }

    @Test
    void loadedModelGivesBitIdenticalProbabilities() {
        Path file = folder.resolve("model.cnnkit");
        float[] before = classifier.probabilities(images).data().asFloat();

        classifier.save(file);
        ImageClassifier loaded = ImageClassifier.load(file);

        assertThat(loaded.probabilities(images).data().asFloat()).containsExactly(before);
        assertThat(loaded.classNames()).isEqualTo(CLASSES);
        assertThat(loaded.inputShape()).isEqualTo(SHAPE);
        assertThat(loaded.preprocessing()).isEqualTo(Preprocessing.RESCALE);
        assertThat(loaded.provenance()).isEqualTo(classifier.provenance());
        assertThat(loaded.provenance().versions()).containsKeys("cnnkit", "dl4j", "java");
    }

    @Test
    void savingWithUpdaterStateKeepsTheAdamState() {
        Path file = folder.resolve("with-updater.cnnkit");

        classifier.save(file, true);
        ImageClassifier loaded = ImageClassifier.load(file);

        assertThat(loaded.network().getUpdater().getStateViewArray())
                .isEqualTo(classifier.network().getUpdater().getStateViewArray());
        assertThat(loaded.probabilities(images).data().asFloat())
                .containsExactly(classifier.probabilities(images).data().asFloat());
    }

    @Test
    void saveReplacesAnOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = folder.resolve("model.cnnkit");
        Files.writeString(file, "old content");

        classifier.save(file);

        try (var listing = Files.list(folder)) {
            assertThat(listing).containsExactly(file);
        }
        assertThat(ImageClassifier.load(file).classNames()).isEqualTo(CLASSES);
    }

    @Test
    void aFailureDuringSaveLeavesThePreviousFileIntactAndNamesTheFileAndTheCause() throws IOException {
        Path file = folder.resolve("model.cnnkit");
        classifier.save(file);
        byte[] before = Files.readAllBytes(file);
        for (long limit : new long[] {0, 10, 1000, before.length / 2, before.length - 30}) {
            assertThatThrownBy(() -> classifier.save(file, out -> new FullDisk(out, limit)))
                    .isInstanceOf(CnnkitException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("No space left on device")
                    .hasMessageContaining("unchanged");
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
            try (var listing = Files.list(folder)) {
                assertThat(listing).containsExactly(file);
            }
        }
        assertThat(ImageClassifier.load(file).probabilities(images).data().asFloat())
                .containsExactly(classifier.probabilities(images).data().asFloat());
    }

    /** Passes bytes through until a limit, then fails as a full disk would. */
    private static final class FullDisk extends java.io.FilterOutputStream {
        private long remaining;

        FullDisk(OutputStream out, long limit) {
            super(out);
            this.remaining = limit;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len > remaining) {
                out.write(b, off, (int) remaining);
                remaining = 0;
                throw new IOException("No space left on device (simulated)");
            }
            remaining -= len;
            out.write(b, off, len);
        }
    }

    @Test
    void saveIntoAMissingFolderNamesTheFolder() {
        Path file = folder.resolve("absent").resolve("model.cnnkit");
        assertThatThrownBy(() -> classifier.save(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("absent").hasMessageContaining("does not exist");
    }

    @Test
    void loadRefusesAMissingFile() {
        Path file = folder.resolve("nothing.cnnkit");
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining(file.toString()).hasMessageContaining("not found");
    }

    @Test
    void loadRefusesAFileThatIsNotAZip() throws IOException {
        Path file = Files.writeString(folder.resolve("text.cnnkit"), "just some text, not a model");
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining(file.toString()).hasMessageContaining("not a cnnkit model");
    }

    @Test
    void loadRefusesATruncatedFile() throws IOException {
        Path file = folder.resolve("model.cnnkit");
        classifier.save(file);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining(file.toString());
    }

    @Test
    void loadRefusesAZipWithoutManifest() throws IOException {
        Path file = rewrite(entries -> {
            entries.remove(ModelFile.MANIFEST_ENTRY);
            return entries;
        });
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("no manifest.properties");
    }

    @Test
    void loadRefusesAWrongMagic() throws IOException {
        Path file = rewriteManifest(text -> text.replace("magic=cnnkit-model", "magic=other-model"));
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("not a cnnkit model");
    }

    @Test
    void loadRefusesANewerFormatVersion() throws IOException {
        Path file = rewriteManifest(text -> text.replace("format.version=1", "format.version=2"));
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("format version 2 is newer");
    }

    @Test
    void loadRefusesADamagedNetworkEntry() throws IOException {
        Path file = rewrite(entries -> {
            byte[] network = entries.get(ModelFile.NETWORK_ENTRY).clone();
            network[network.length / 2] ^= 0x5A;
            entries.put(ModelFile.NETWORK_ENTRY, network);
            return entries;
        });
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("damaged");
    }

    @Test
    void loadRefusesAMissingNetworkEntry() throws IOException {
        Path file = rewrite(entries -> {
            entries.remove(ModelFile.NETWORK_ENTRY);
            return entries;
        });
        assertThatThrownBy(() -> ImageClassifier.load(file))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("network entry 'network.zip' is missing");
    }

    @Test
    void builderRefusesClassNamesThatDoNotMatchTheOutputLayer() {
        ComputationGraph network = classifier.network();
        assertThatThrownBy(() -> ImageClassifier.builder().setNetwork(network).setClassNames(List.of("a", "b"))
                .setInputShape(SHAPE).setPreprocessing(Preprocessing.RESCALE).build())
                .isInstanceOf(CnnkitException.class).hasMessageContaining("'output' has 3 units but 2 class names");
        assertThatThrownBy(() -> ImageClassifier.builder().setNetwork(network).setClassNames(List.of("a", "a", "b"))
                .setInputShape(SHAPE).setPreprocessing(Preprocessing.RESCALE).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
        assertThatThrownBy(() -> ImageClassifier.builder().setNetwork(network).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("required");
    }

    private Path rewriteManifest(UnaryOperator<String> edit) throws IOException {
        return rewrite(entries -> {
            String text = new String(entries.get(ModelFile.MANIFEST_ENTRY), StandardCharsets.UTF_8);
            entries.put(ModelFile.MANIFEST_ENTRY, edit.apply(text).getBytes(StandardCharsets.UTF_8));
            return entries;
        });
    }

    /** Saves the classifier, then rewrites the archive with edited entries. */
    private Path rewrite(UnaryOperator<Map<String, byte[]>> edit) throws IOException {
        Path original = folder.resolve("original.cnnkit");
        classifier.save(original);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(original.toFile())) {
            for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                try (InputStream in = zip.getInputStream(entry)) {
                    entries.put(entry.getName(), in.readAllBytes());
                }
            }
        }
        Path edited = folder.resolve("edited.cnnkit");
        try (OutputStream out = Files.newOutputStream(edited); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> entry : edit.apply(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
        return edited;
    }
}
