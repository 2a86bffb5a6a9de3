package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.FeatureIndex;
import org.cnnkit.zoo.ImageClassifier;
import org.cnnkit.zoo.SeedCnn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the command line did not make: bad images, missing or badly shaped folders, damaged model and weights files
 * and out-of-range sizes end with exit code 1 (2 for a bad option value) and ONE line on standard error that names
 * the file or the option, never a stack trace. Nothing here trains: every failure is found before training starts.
 */
class CliBadInputTest {

    private static final InputShape SHAPE = new InputShape(20, 20, 3);

    @TempDir
    static Path shared;

    /** An untrained three-class model, written once: enough for {@code predict} and {@code evaluate} to load. */
    private static Path model;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void writeModel() {
        model = shared.resolve("three.cnnkit");
        ImageClassifier.builder()
                .setNetwork(SeedCnn.NOTEBOOK.create(SHAPE, 3, 1))
                .setClassNames(List.of("a", "b", "c"))
                .setInputShape(SHAPE)
                .setPreprocessing(Preprocessing.RESCALE)
                .build()
                .save(model);
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return CliRunner.run(out, err, args);
    }

    /** Asserts exit code 1 and one line on standard error, without a stack trace, holding every given text. */
    private void assertFailsWithOneLine(int exit, String... texts) {
        String message = err.toString();
        assertThat(exit).as(message).isEqualTo(1);
        assertThat(message.strip().lines()).as(message).hasSize(1);
        assertThat(message).doesNotContain("\tat ").doesNotContain("Exception:");
        for (String text : texts) {
            assertThat(message).contains(text);
        }
    }

    @Test
    void predictRefusesEachKindOfBadImageWithOneLineNamingTheFile() throws IOException {
        Path good = png(dir.resolve("good.png"), 24, 24, 1);
        Path wholeJpeg = write(noise(64, 64, 2), "jpg", dir.resolve("whole.jpg"));
        Path wholePng = write(noise(64, 64, 3), "png", dir.resolve("whole.png"));
        Map<Path, String> bad = new LinkedHashMap<>();
        bad.put(Files.createFile(dir.resolve("empty.jpg")), "empty");
        bad.put(Files.writeString(dir.resolve("notes.jpg"), "not a picture\n"), "not an image");
        bad.put(truncated(wholeJpeg, dir.resolve("cut.jpg")), "");
        bad.put(truncated(wholePng, dir.resolve("cut.png")), "");
        bad.put(pngHeaderClaiming(dir.resolve("bomb.png"), 60000, 60000), "60000x60000");
        bad.put(dir.resolve("missing.png"), "no such file");

        assertThat(run("predict", "--model", model.toString(), good.toString())).as(err.toString()).isZero();
        for (Map.Entry<Path, String> image : bad.entrySet()) {
            int exit = run("predict", "--model", model.toString(), image.getKey().toString());
            assertFailsWithOneLine(exit, "cnnkit predict: ", image.getKey().toString(), image.getValue());
        }
        Path alsoBad = Files.writeString(dir.resolve("also.png"), "not a picture either\n");
        assertFailsWithOneLine(run("predict", "--model", model.toString(), bad.keySet().iterator().next().toString(),
                alsoBad.toString()), "none of the 2 images could be decoded", "empty.jpg");
    }

    @Test
    void predictGoesOnPastBadImagesListsThemAsSkippedAndExitsWithOne() throws IOException {
        Path good = png(dir.resolve("good.png"), 24, 24, 1);
        Path other = png(dir.resolve("other.png"), 24, 24, 2);
        Path notes = Files.writeString(dir.resolve("notes.jpg"), "not a picture\n");
        Path missing = dir.resolve("missing.png");
        Path report = dir.resolve("predict.json");

        int exit = run("predict", "--model", model.toString(), "--report", report.toString(), good.toString(),
                notes.toString(), other.toString(), missing.toString());

        assertThat(exit).as(err.toString()).isEqualTo(1);
        assertThat(err.toString()).doesNotContain("cnnkit predict:");
        assertThat(out.toString().lines()).hasSize(4);
        assertThat(out.toString()).contains(good + ": ").contains(other + ": ")
                .contains("skipped " + notes + ": ").contains("skipped " + missing + ": ").contains("no such file");
        JsonNode json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("status").asText()).isEqualTo("partial");
        assertThat(json.get("predictions")).extracting(p -> p.get("file").asText())
                .containsExactly(good.toString(), other.toString());
        assertThat(json.get("skipped")).extracting(s -> s.get("file").asText())
                .containsExactly(notes.toString(), missing.toString());
        assertThat(json.get("skipped").get(0).get("reason").asText()).contains("not an image");

        assertThat(run("predict", "--model", model.toString(), "--report", report.toString(), good.toString()))
                .as(err.toString()).isZero();
        json = new ObjectMapper().readTree(report.toFile());
        assertThat(json.get("status").asText()).isEqualTo("ok");
        assertThat(json.get("skipped")).isEmpty();
    }

    @Test
    void badImagesInsideAFolderAreSkippedAndTrainAndEvaluateGoOn() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        Files.writeString(data.resolve("a").resolve("notes.jpg"), "not a picture\n");
        Files.createFile(data.resolve("b").resolve("empty.png"));
        Path trained = dir.resolve("trained.cnnkit");
        Path trainReport = dir.resolve("train.json");
        Path report = dir.resolve("evaluate.json");

        assertThat(run("train", "--data", data.toString(), "--model", "cnn", "--image-size", "20", "--epochs", "1",
                "--validation-split", "0", "--augment", "off", "--out", trained.toString(),
                "--report", trainReport.toString())).as(err.toString()).isZero();
        assertThat(trained).isRegularFile();
        assertListsSkipped(new ObjectMapper().readTree(trainReport.toFile()), data);
        assertThat(run("evaluate", "--model", trained.toString(), "--data", data.toString(),
                "--report", report.toString())).as(err.toString()).isZero();
        JsonNode evaluation = new ObjectMapper().readTree(report.toFile());
        assertThat(evaluation.path("count").asInt()).isEqualTo(6);
        assertListsSkipped(evaluation, data);
    }

    /** Asserts the report's {@code skipped} list names a/notes.jpg and b/empty.png with the decoder's reason. */
    private static void assertListsSkipped(JsonNode report, Path data) {
        assertThat(report.get("status").asText()).isEqualTo("ok");
        JsonNode skipped = report.get("skipped");
        assertThat(skipped).extracting(s -> s.get("file").asText()).containsExactly(
                data.resolve("a").resolve("notes.jpg").toString(), data.resolve("b").resolve("empty.png").toString());
        assertThat(skipped.get(0).get("reason").asText()).contains("not an image");
        assertThat(skipped.get(1).get("reason").asText()).contains("empty");
    }

    @Test
    void trainRefusesAMissingRootAnEmptyRootAnEmptyClassAndASingleClass() throws IOException {
        Path missing = dir.resolve("nowhere");
        assertFailsWithOneLine(train(missing), missing.toString());

        Path emptyRoot = Files.createDirectories(dir.resolve("empty-root"));
        assertFailsWithOneLine(train(emptyRoot), emptyRoot.toString());

        Path withEmptyClass = dir.resolve("empty-class");
        png(Files.createDirectories(withEmptyClass.resolve("a")).resolve("1.png"), 24, 24, 4);
        Path emptyClass = Files.createDirectories(withEmptyClass.resolve("b"));
        assertFailsWithOneLine(train(withEmptyClass), emptyClass.toString());

        Path single = dir.resolve("single");
        png(Files.createDirectories(single.resolve("only")).resolve("1.png"), 24, 24, 5);
        png(single.resolve("only").resolve("2.png"), 24, 24, 6);
        assertFailsWithOneLine(train(single), "at least 2 class folders", single.toString());
        assertThat(dir.resolve("m.cnnkit")).doesNotExist();
    }

    @Test
    void zeroOrNegativeSizesAreUsageErrorsNamingTheOption() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        Map<String[], String> cases = new LinkedHashMap<>();
        cases.put(new String[] {"--image-size", "0"}, "--image-size must be at least 1");
        cases.put(new String[] {"--image-size", "-5"}, "--image-size must be at least 1");
        cases.put(new String[] {"--batch", "0"}, "--batch must be at least 1");
        cases.put(new String[] {"--epochs", "-1"}, "--epochs must be at least 1");
        cases.put(new String[] {"--validation-split", "1"}, "--validation-split must be in [0, 1)");
        for (Map.Entry<String[], String> bad : cases.entrySet()) {
            int exit = run("train", "--data", data.toString(), "--model", "cnn", "--out",
                    dir.resolve("m.cnnkit").toString(), bad.getKey()[0], bad.getKey()[1]);
            assertThat(exit).as(err.toString()).isEqualTo(2);
            assertThat(err.toString()).contains(bad.getValue());
        }
        assertThat(run("predict", "--model", model.toString(), "--top", "0", data.resolve("a/1.png").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--top must be at least 1");
        assertThat(dir.resolve("m.cnnkit")).doesNotExist();
    }

    @Test
    void anImageSizeTooSmallForTheNetworkFailsWithOneLineNamingTheMinimum() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        int exit = run("train", "--data", data.toString(), "--model", "cnn", "--image-size", "8", "--epochs", "1",
                "--out", dir.resolve("m.cnnkit").toString());
        assertFailsWithOneLine(exit, "too small", "20x20");
    }

    @Test
    void aTruncatedModelAndAModelOfANewerFormatFailWithOneLineNamingTheFile() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        Path image = data.resolve("a/1.png");
        byte[] bytes = Files.readAllBytes(model);

        Path cut = Files.write(dir.resolve("cut.cnnkit"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertFailsWithOneLine(run("predict", "--model", cut.toString(), image.toString()), cut.toString());
        assertFailsWithOneLine(run("evaluate", "--model", cut.toString(), "--data", data.toString()), cut.toString());

        Path newer = withManifest(model, dir.resolve("newer.cnnkit"),
                text -> text.replace("format.version=1", "format.version=99"));
        assertFailsWithOneLine(run("predict", "--model", newer.toString(), image.toString()),
                newer.toString(), "newer");
    }

    @Test
    void aModelForThreeClassesRefusesAFolderOfTwoWithOneLine() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        assertFailsWithOneLine(run("evaluate", "--model", model.toString(), "--data", data.toString()),
                "[a, b]", "[a, b, c]");
    }

    @Test
    void weightsThatAreNotHdf5OrMissingFailWithOneLineNamingTheFile() throws IOException {
        Path data = twoClasses(dir.resolve("data"));
        Path text = Files.writeString(dir.resolve("weights.h5"), "these are not weights\n");
        int exit = run("train", "--data", data.toString(), "--model", "mobilenetv2", "--alpha", "0.35",
                "--weights", text.toString(), "--image-size", "32", "--epochs", "1",
                "--out", dir.resolve("m.cnnkit").toString());
        assertFailsWithOneLine(exit, "not an HDF5 file", text.toString());

        Path missing = dir.resolve("absent.h5");
        exit = run("train", "--data", data.toString(), "--model", "mobilenetv2", "--alpha", "0.35",
                "--weights", missing.toString(), "--image-size", "32", "--epochs", "1",
                "--out", dir.resolve("m.cnnkit").toString());
        assertFailsWithOneLine(exit, missing.toString());
        assertThat(dir.resolve("m.cnnkit")).doesNotExist();
    }

    @Test
    void aTruncatedFlippedOrNewerIndexFailsSearchWithOneLineNamingTheFile() throws IOException {
        FeatureIndex index = FeatureIndex.builder().setDimension(4).build();
        for (int i = 0; i < 20; i++) {
            index.add("image-" + i, new float[] {i, 1, 2, 3});
        }
        Path saved = dir.resolve("good.cfi");
        index.save(saved);
        byte[] bytes = Files.readAllBytes(saved);
        Path query = png(dir.resolve("q.png"), 8, 8, 1);

        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x10;
        byte[] newer = bytes.clone();
        ByteBuffer.wrap(newer).putInt(8, 99);
        Map<Path, String> damaged = new LinkedHashMap<>();
        damaged.put(Files.write(dir.resolve("cut.cfi"), java.util.Arrays.copyOf(bytes, bytes.length / 2)), "");
        damaged.put(Files.write(dir.resolve("flipped.cfi"), flipped), "checksum");
        damaged.put(Files.write(dir.resolve("newer.cfi"), newer), "newer");
        for (Map.Entry<Path, String> file : damaged.entrySet()) {
            assertFailsWithOneLine(run("search", "--index", file.getKey().toString(), query.toString()),
                    "cnnkit search: ", file.getKey().getFileName().toString(), file.getValue());
            // index (update) refuses to extend it, and leaves it as it was
            byte[] before = Files.readAllBytes(file.getKey());
            Path folder = Files.createDirectories(dir.resolve("photos"));
            assertFailsWithOneLine(run("index", "--data", folder.toString(), "--out", file.getKey().toString()),
                    file.getKey().getFileName().toString());
            assertThat(Files.readAllBytes(file.getKey())).isEqualTo(before);
        }
    }

    @Test
    void indexAndEvaluateRetrievalRefuseABadFolderBeforeLoadingAnyWeights() throws IOException {
        Path missing = dir.resolve("nowhere");
        Path absentWeights = dir.resolve("absent-weights.h5");
        String[] extractor = {"--extractor", "mobilenetv2", "--alpha", "0.35", "--weights", absentWeights.toString()};

        assertFailsWithOneLine(run(concat(new String[] {"index", "--data", missing.toString(),
                "--out", dir.resolve("new.cfi").toString()}, extractor)), "does not exist", missing.toString());
        assertThat(dir.resolve("new.cfi")).doesNotExist();

        Path withEmptyClass = dir.resolve("empty-class");
        png(Files.createDirectories(withEmptyClass.resolve("a")).resolve("1.png"), 24, 24, 4);
        Path emptyClass = Files.createDirectories(withEmptyClass.resolve("b"));
        assertFailsWithOneLine(run(concat(new String[] {"evaluate-retrieval", "--data", withEmptyClass.toString()},
                extractor)), emptyClass.toString());
        assertThat(err.toString()).doesNotContain(absentWeights.getFileName().toString());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void weightsOfAnotherAlphaFailWithOneLineNamingTheLayer() throws IOException {
        Path weights = CliRunner.mobileNetWeights();
        Path data = twoClasses(dir.resolve("data"));

        int exit = run("train", "--data", data.toString(), "--model", "mobilenetv2", "--alpha", "0.5",
                "--weights", weights.toString(), "--image-size", "32", "--epochs", "1",
                "--out", dir.resolve("m.cnnkit").toString());

        assertFailsWithOneLine(exit, weights.getFileName().toString(), "layer 'block_1_project'", "expects shape");
        assertThat(dir.resolve("m.cnnkit")).doesNotExist();
    }

    private int train(Path data) {
        return run("train", "--data", data.toString(), "--model", "cnn", "--image-size", "20", "--epochs", "1",
                "--out", dir.resolve("m.cnnkit").toString());
    }

    /** Two classes {@code a} and {@code b} of three 24x24 noise PNGs each. */
    private static Path twoClasses(Path root) throws IOException {
        for (String cls : List.of("a", "b")) {
            Path folder = Files.createDirectories(root.resolve(cls));
            for (int i = 1; i <= 3; i++) {
                png(folder.resolve(i + ".png"), 24, 24, cls.hashCode() * 10L + i);
            }
        }
        return root;
    }

    private static Path png(Path file, int width, int height, long seed) {
        return write(noise(width, height, seed), "png", file);
    }

    private static BufferedImage noise(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return image;
    }

    private static Path write(BufferedImage image, String format, Path file) {
        try {
            if (!ImageIO.write(image, format, file.toFile())) {
                throw new IllegalStateException("no ImageIO writer for " + format);
            }
            return file;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path truncated(Path whole, Path cut) throws IOException {
        byte[] bytes = Files.readAllBytes(whole);
        return Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    }

    /** A PNG whose header (correct CRC) claims {@code width x height} RGB pixels, followed by a tiny IDAT and IEND. */
    private static Path pngHeaderClaiming(Path file, int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream png = new DataOutputStream(bytes);
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream header = new DataOutputStream(ihdr);
        header.writeInt(width);
        header.writeInt(height);
        header.write(new byte[] {8, 2, 0, 0, 0});
        chunk(png, "IHDR", ihdr.toByteArray());
        chunk(png, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(png, "IEND", new byte[0]);
        return Files.write(file, bytes.toByteArray());
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(data.length);
        out.write(typeBytes);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    /** Copies a model file, rewriting the text of its {@code manifest.properties}. */
    private static Path withManifest(Path source, Path target, java.util.function.UnaryOperator<String> edit)
            throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(source));
                OutputStream file = Files.newOutputStream(target);
                ZipOutputStream zip = new ZipOutputStream(file)) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                byte[] content = readAll(in);
                if (entry.getName().equals("manifest.properties")) {
                    String text = new String(content, StandardCharsets.ISO_8859_1);
                    String edited = edit.apply(text);
                    assertThat(edited).isNotEqualTo(text);
                    content = edited.getBytes(StandardCharsets.ISO_8859_1);
                }
                zip.putNextEntry(new ZipEntry(entry.getName()));
                zip.write(content);
                zip.closeEntry();
            }
        }
        return target;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        return in.readAllBytes();
    }
}
