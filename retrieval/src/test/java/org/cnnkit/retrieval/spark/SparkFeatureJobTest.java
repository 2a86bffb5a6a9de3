package org.cnnkit.retrieval.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.zoo.InferenceEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job in {@code local[2]} on generated images, against the single-process extractor. */
class SparkFeatureJobTest {

    private static final int IMAGES = 24;

    private static SparkSession spark;
    private static ExtractorSpec spec;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spec = SparkTestImages.mobileNet(64);
        spark = SparkTestImages.localSession();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private Path images() throws IOException {
        Path root = dir.resolve("images");
        for (int i = 0; i < IMAGES; i++) {
            SparkTestImages.drawPng(root.resolve((i % 3 == 0 ? "a/" : "b/c/") + "img" + i + ".png"), i, 48 + i);
        }
        return root;
    }

    private SparkFeatureJob.Builder job(Path input, Path output) {
        return SparkFeatureJob.builder().setInput(input.toString()).setOutput(output.toString()).setExtractor(spec);
    }

    private static Map<String, float[]> features(Path output) {
        Map<String, float[]> vectors = new HashMap<>();
        for (Row row : spark.read().parquet(output.resolve(FeatureTable.FEATURES).toString()).collectAsList()) {
            List<Float> values = row.getList(row.fieldIndex(FeatureTable.VECTOR));
            float[] vector = new float[values.size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = values.get(i);
            }
            assertThat(vectors.put(row.getString(row.fieldIndex(FeatureTable.ID)), vector)).as("duplicate id").isNull();
        }
        return vectors;
    }

    private static Map<String, String> skipped(Path output) {
        return spark.read().parquet(output.resolve(FeatureTable.SKIPPED).toString()).collectAsList().stream()
                .collect(Collectors.toMap(row -> row.getString(0), row -> row.getString(3)));
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void vectorsEqualTheSingleProcessExtractorsWithinOneMillionth() throws IOException {
        Path input = images();
        SparkFeatureJob.Report report = job(input, dir.resolve("out")).optEngine(InferenceEngine.DL4J).build()
                .run(spark);

        FeatureExtractor local = spec.create(ProgressListener.none(), InferenceEngine.DL4J);
        ExtractionResult expected = local.extractReadable(files(input), ProgressListener.none());
        Map<String, float[]> actual = features(dir.resolve("out"));
        assertThat(report.listed()).isEqualTo(IMAGES);
        assertThat(report.extracted()).isEqualTo(IMAGES);
        assertThat(report.vectors()).isEqualTo(IMAGES);
        assertThat(actual).hasSize(IMAGES);
        for (int i = 0; i < expected.files().size(); i++) {
            String id = input.relativize(expected.files().get(i)).toString().replace('\\', '/');
            assertThat(actual).containsKey(id);
            float[] vector = actual.get(id);
            assertThat(vector).hasSize(local.dimension());
            for (int j = 0; j < vector.length; j++) {
                assertThat(vector[j]).as("%s[%d]", id, j).isCloseTo(expected.vectors()[i][j], within(1e-5f));
            }
        }
        FeatureTable table = FeatureTable.of(spark.read().parquet(dir.resolve("out/features").toString()).schema(),
                "out");
        assertThat(table.identity()).isEqualTo(local.identity());
        assertThat(table.formatVersion()).isEqualTo(FeatureTable.FORMAT_VERSION);
        assertThat(table.extractorSpec()).contains(spec);
        assertThat(table.root()).isEqualTo("file:" + input.toAbsolutePath());
    }

    @Test
    void onTheOnnxEngineTheVectorsEqualTheSingleProcessExtractorsOnBothEngines() throws IOException {
        Path input = images();
        SparkFeatureJob.Report report = job(input, dir.resolve("out")).optEngine(InferenceEngine.ONNX_RUNTIME).build()
                .run(spark);

        // local[2]: the executor is this JVM, so its extractor is the one the job's tasks ran
        assertThat(ExecutorExtractors.get(spec.toProperties(), InferenceEngine.ONNX_RUNTIME.id()).engine())
                .isEqualTo(InferenceEngine.ONNX_RUNTIME);
        FeatureExtractor onnx = spec.create(ProgressListener.none(), InferenceEngine.ONNX_RUNTIME);
        FeatureExtractor dl4j = spec.create(ProgressListener.none(), InferenceEngine.DL4J);
        assertThat(onnx.engine()).isEqualTo(InferenceEngine.ONNX_RUNTIME);
        ExtractionResult sameEngine = onnx.extractReadable(files(input), ProgressListener.none());
        ExtractionResult otherEngine = dl4j.extractReadable(files(input), ProgressListener.none());
        Map<String, float[]> actual = features(dir.resolve("out"));
        assertThat(report.vectors()).isEqualTo(IMAGES);
        assertThat(actual).hasSize(IMAGES);
        float scale = 0;
        float difference = 0;
        for (int i = 0; i < sameEngine.files().size(); i++) {
            String id = input.relativize(sameEngine.files().get(i)).toString().replace('\\', '/');
            float[] vector = actual.get(id);
            assertThat(vector).as(id).hasSize(onnx.dimension());
            for (int j = 0; j < vector.length; j++) {
                assertThat(vector[j]).as("%s[%d]", id, j).isCloseTo(sameEngine.vectors()[i][j], within(1e-5f));
                scale = Math.max(scale, Math.abs(otherEngine.vectors()[i][j]));
                difference = Math.max(difference, Math.abs(otherEngine.vectors()[i][j] - vector[j]));
            }
        }
        // against DL4J's engine: the engines' contract (InferenceEngineContractTest, EngineSwitchCorelTest)
        assertThat(difference / Math.max(1f, scale)).isLessThan(1e-4f);
        FeatureTable table = FeatureTable.of(spark.read().parquet(dir.resolve("out/features").toString()).schema(),
                "out");
        assertThat(table.identity()).isEqualTo(dl4j.identity());
    }

    @Test
    void unreadableFilesAreRecordedInTheSkippedTableWithTheirReasonAndTheJobGoesOn() throws IOException {
        Path input = images();
        SparkTestImages.writeUnreadable(input);
        SparkFeatureJob.Report report = job(input, dir.resolve("out")).build().run(spark);

        Map<String, String> skipped = skipped(dir.resolve("out"));
        assertThat(skipped.keySet()).containsExactlyInAnyOrder("bad/empty.png", "bad/notes.jpg",
                "bad/truncated.jpg", "bad/bomb.png");
        assertThat(skipped.get("bad/empty.png")).contains("the file is empty (0 bytes)");
        assertThat(skipped.get("bad/notes.jpg")).contains("not an image");
        assertThat(skipped.get("bad/truncated.jpg")).containsIgnoringCase("truncated");
        assertThat(skipped.get("bad/bomb.png")).contains("more than the limit");
        assertThat(report.listed()).isEqualTo(IMAGES + 4);
        assertThat(report.skipped()).isEqualTo(4);
        assertThat(report.vectors()).isEqualTo(IMAGES);
        assertThat(features(dir.resolve("out"))).hasSize(IMAGES).doesNotContainKey("bad/empty.png");
    }

    @Test
    void theJobPutsTheSessionsSettingsBackAsTheyWere() throws IOException {
        Path input = images();
        spark.conf().set("spark.sql.adaptive.enabled", "true");
        try {
            job(input, dir.resolve("out")).build().run(spark);

            assertThat(spark.conf().get("spark.sql.adaptive.enabled")).isEqualTo("true");
            assertThat(spark.conf().getOption("spark.sql.files.maxPartitionNum").isDefined()).isFalse();
        } finally {
            spark.conf().unset("spark.sql.adaptive.enabled");
        }
    }

    @Test
    void theGlobFilterAppliesToZeroByteFilesToo() throws IOException {
        Path input = images();
        SparkTestImages.writeUnreadable(input);
        SparkFeatureJob.Report report = job(input, dir.resolve("out")).optPathGlobFilter("*.jpg").build().run(spark);

        assertThat(skipped(dir.resolve("out")).keySet()).containsExactlyInAnyOrder("bad/notes.jpg",
                "bad/truncated.jpg");
        assertThat(report.listed()).isEqualTo(2);
        assertThat(report.vectors()).isZero();
    }

    @Test
    void aSecondRunExtractsOnlyNewOrChangedFilesAndCarriesTheRestOver() throws IOException {
        Path input = images();
        SparkTestImages.writeUnreadable(input);
        job(input, dir.resolve("run1")).build().run(spark);
        Map<String, float[]> first = features(dir.resolve("run1"));

        SparkTestImages.drawPng(input.resolve("new/one.png"), 101, 50);
        SparkTestImages.drawPng(input.resolve("new/two.png"), 102, 50);
        Path changed = SparkTestImages.drawPng(input.resolve("a/img0.png"), 77, 60);
        Files.setLastModifiedTime(changed, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        Files.delete(input.resolve("b/c/img1.png"));

        SparkFeatureJob.Report second = job(input, dir.resolve("run2")).optPrevious(dir.resolve("run1").toString())
                .build().run(spark);
        assertThat(second.pending()).isEqualTo(3);
        assertThat(second.extracted()).isEqualTo(3);
        assertThat(second.carried()).isEqualTo(IMAGES - 2);
        assertThat(second.skipped()).isEqualTo(4); // the zero-byte file's row carried over like the others
        Map<String, float[]> after = features(dir.resolve("run2"));
        assertThat(after).hasSize(IMAGES + 1).doesNotContainKey("b/c/img1.png").containsKeys("new/one.png",
                "new/two.png");
        assertThat(after.get("a/img0.png")).isNotEqualTo(first.get("a/img0.png"));
        assertThat(after.get("b/c/img2.png")).isEqualTo(first.get("b/c/img2.png"));

        SparkFeatureJob.Report third = job(input, dir.resolve("run3")).optPrevious(dir.resolve("run2").toString())
                .build().run(spark);
        assertThat(third.pending()).isZero();
        assertThat(third.carried()).isEqualTo(IMAGES + 1);
        Map<String, float[]> again = features(dir.resolve("run3"));
        assertThat(again.keySet()).isEqualTo(after.keySet());
        after.forEach((id, vector) -> assertThat(again.get(id)).isEqualTo(vector));
        assertThat(skipped(dir.resolve("run3"))).isEqualTo(skipped(dir.resolve("run2")));
    }

    @Test
    void aTaskThatFailsOnceIsRetriedWithoutDuplicateRows() throws IOException {
        Path input = images();
        SparkFeatureJob.Report report = job(input, dir.resolve("out")).optPartitions(3).optFilesPerGroup(2)
                .optFailOncePartition(1).build().run(spark);

        assertThat(report.vectors()).isEqualTo(IMAGES);
        assertThat(features(dir.resolve("out"))).hasSize(IMAGES);
    }

    @Test
    void aPreviousTableOfAnotherExtractorIsRefused() throws IOException {
        Path input = images();
        job(input, dir.resolve("run1")).build().run(spark);

        SparkFeatureJob other = SparkFeatureJob.builder().setInput(input.toString())
                .setOutput(dir.resolve("run2").toString()).setExtractor(SparkTestImages.mobileNet(96))
                .optPrevious(dir.resolve("run1").toString()).build();
        assertThatThrownBy(() -> other.run(spark)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("was written with extractor")
                .hasMessageContaining("64x64x3").hasMessageContaining("96x96x3");
        assertThat(Files.exists(dir.resolve("run2"))).isFalse();
    }

    @Test
    void theOutputMayNotBeThePreviousTable() throws IOException {
        Path input = images();
        assertThatThrownBy(() -> job(input, dir.resolve("run1")).optPrevious(dir.resolve("run1").toString()).build()
                .run(spark)).isInstanceOf(CnnkitException.class).hasMessageContaining("is the previous table");
    }

    @Test
    void aTableLoadsIntoAStoreOnOneMachineTwiceWithoutDuplicatesAndWithIndexStamps() throws IOException {
        Path input = images();
        job(input, dir.resolve("out")).build().run(spark);
        StoreSpec store = StoreSpec.parse("exact:" + dir.resolve("photos.cfi"));

        StoreLoad load = StoreLoad.builder().setTable(dir.resolve("out").toString()).setStore(store).build();
        StoreLoad.Report first = load.runLocally(spark, ProgressListener.none());
        StoreLoad.Report second = load.runLocally(spark, ProgressListener.none());

        assertThat(first.loaded()).isEqualTo(IMAGES);
        assertThat(second.total()).isEqualTo(IMAGES);
        Path file = input.resolve("b/c/img2.png");
        try (VectorStore opened = VectorStores.open(store, StoreOptions.openExisting())) {
            assertThat(opened.stamp("images/b/c/img2.png")).contains(Files.size(file) + ":"
                    + Files.getLastModifiedTime(file).toMillis());
            assertThat(opened.schema().properties()).containsKey("root");
        }
    }

    @Test
    void indexingTheFolderAfterALoadFindsEveryLoadedFileUnchanged() throws IOException {
        Path input = images();
        job(input, dir.resolve("out")).build().run(spark);
        StoreSpec store = StoreSpec.parse("exact:" + dir.resolve("stores/photos.cfi"));
        StoreLoad.builder().setTable(dir.resolve("out").toString()).setStore(store).build()
                .runLocally(spark, ProgressListener.none());

        try (ImageSearch search = ImageSearch.open(store, StoreOptions.openExisting(),
                spec.create(ProgressListener.none()))) {
            ImageSearch.IndexingReport report = search.indexFolder(input, ProgressListener.none());

            assertThat(report.indexed()).isZero();
            assertThat(report.unchanged()).isEqualTo(IMAGES);
            assertThat(report.total()).isEqualTo(IMAGES);
        }
    }

    @Test
    void aStoreOfAnotherExtractorIsRefusedWhenLoading() throws IOException {
        Path input = images();
        job(input, dir.resolve("out64")).build().run(spark);
        SparkFeatureJob.builder().setInput(input.toString()).setOutput(dir.resolve("out96").toString())
                .setExtractor(SparkTestImages.mobileNet(96)).build().run(spark);
        StoreSpec store = StoreSpec.parse("exact:" + dir.resolve("photos.cfi"));
        StoreLoad.builder().setTable(dir.resolve("out64").toString()).setStore(store).build()
                .runLocally(spark, ProgressListener.none());

        assertThatThrownBy(() -> StoreLoad.builder().setTable(dir.resolve("out96").toString()).setStore(store).build()
                .runLocally(spark, ProgressListener.none())).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("was built with extractor");
    }

    @Test
    void aFolderWithoutATableIsRefusedWithItsPath() {
        assertThatThrownBy(() -> StoreLoad.builder().setTable(dir.resolve("nothing").toString())
                .setStore(StoreSpec.parse("exact:" + dir.resolve("x.cfi"))).build()
                .runLocally(spark, ProgressListener.none())).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("no features table at").hasMessageContaining("nothing");
    }

    @Test
    void theMainClassRefusesAnUnknownOptionAndNamesTheMissingOnes() {
        assertThatThrownBy(() -> SparkFeatureJobMain.parse(new String[] {"--inptu", "x"}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("unknown option '--inptu'");
        assertThatThrownBy(() -> SparkFeatureJobMain.parse(new String[] {"--input", "x"}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("--output");
        List<String> ok = new ArrayList<>(List.of("--input", "a", "--output", "b", "--extractor", "mobilenetv2",
                "--alpha", "0.35", "--image-size", "96", "--engine", "onnx"));
        assertThat(SparkFeatureJobMain.parse(ok.toArray(String[]::new))).isNotNull();
    }
}
