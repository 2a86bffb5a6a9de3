package org.cnnkit.retrieval.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.FeatureExtractor;
import org.cnnkit.retrieval.ImageSearch;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.SearchSettings;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job's results reaching stores: idempotent loads into PostgreSQL from every partition (a task failing once
 * included), and Corel-1K through the job into Parquet, then an exact and a PostgreSQL store, searched with the same
 * results as the single-process index.
 */
class SparkStoreLoadTest {

    private static SparkSession spark;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        spark = SparkTestImages.localSession();
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void aJobLoadsPostgresFromEveryPartitionAndARetriedTaskOrARerunDuplicatesNothing() throws Exception {
        ExtractorSpec spec = SparkTestImages.mobileNet(64);
        StoreSpec store = PostgresForSpark.store();
        String collection = PostgresForSpark.newCollection();
        try {
            Path input = dir.resolve("images");
            for (int i = 0; i < 30; i++) {
                SparkTestImages.drawPng(input.resolve("g" + i % 4 + "/p" + i + ".png"), i, 40 + i);
            }
            SparkFeatureJob.Builder job = SparkFeatureJob.builder().setInput(input.toString())
                    .setOutput(dir.resolve("out").toString()).setExtractor(spec).optStore(store)
                    .optStoreParameters(Map.of("collection", collection));
            SparkFeatureJob.Report first = job.optFailOnceStorePartition(0).build().run(spark);
            assertThat(first.loaded()).isEqualTo(30);
            assertThat(PostgresForSpark.rowsAndIds(collection)).containsExactly(30, 30);

            SparkFeatureJob.Report again = job.optFailOnceStorePartition(-1)
                    .setOutput(dir.resolve("out2").toString()).optPrevious(dir.resolve("out").toString()).build()
                    .run(spark);
            assertThat(again.pending()).isZero();
            assertThat(PostgresForSpark.rowsAndIds(collection)).containsExactly(30, 30);
            try (VectorStore opened = VectorStores.open(store, StoreOptions.builder()
                    .addParameter("collection", collection).build())) {
                Path file = input.resolve("g1/p5.png");
                assertThat(opened.stamp("g1/p5.png")).contains(Files.size(file) + ":"
                        + Files.getLastModifiedTime(file).toMillis());
            }
        } finally {
            PostgresForSpark.drop(collection);
        }
    }

    @Test
    void corel1kThroughTheJobIsSearchedLikeTheSingleProcessIndexInAnExactAndAPostgresStore() throws Exception {
        Path corel = SparkTestImages.assets().resolve("corel1k");
        Assumptions.assumeTrue(Files.isDirectory(corel), "Corel-1K not found at " + corel + ": skipping");
        ExtractorSpec spec = SparkTestImages.mobileNet(128); // 128 px: a third of 224's work, to keep CI short
        StoreSpec postgres = PostgresForSpark.store();
        String collection = PostgresForSpark.newCollection();
        try {
            // single process: cnnkit index into an exact store
            FeatureExtractor extractor = spec.create(ProgressListener.none());
            StoreSpec single = StoreSpec.parse("exact:" + dir.resolve("single.cfi"));
            try (ImageSearch search = ImageSearch.open(single, StoreOptions.builder().optSchemaForNewStore(
                    ImageSearch.newStoreSchema(single, extractor.identity(), SearchSettings.defaults(),
                            spec.toProperties(), corel)).build(), extractor)) {
                search.indexFolder(corel, ProgressListener.none());
            }
            // the job, then its table into an exact store (one machine) and PostgreSQL (from the partitions)
            SparkFeatureJob.Report report = SparkFeatureJob.builder().setInput(corel.toString())
                    .setOutput(dir.resolve("table").toString()).setExtractor(spec).optPathGlobFilter("*.jpg")
                    .optStore(postgres).optStoreParameters(Map.of("collection", collection)).build().run(spark);
            assertThat(report.vectors()).isEqualTo(1000);
            assertThat(report.loaded()).isEqualTo(1000);
            StoreSpec loaded = StoreSpec.parse("exact:" + dir.resolve("loaded.cfi"));
            StoreLoad.builder().setTable(dir.resolve("table").toString()).setStore(loaded).build()
                    .runLocally(spark, ProgressListener.none());

            try (VectorStore expected = VectorStores.open(single, StoreOptions.openExisting());
                 VectorStore exact = VectorStores.open(loaded, StoreOptions.openExisting());
                 VectorStore pg = VectorStores.open(postgres, StoreOptions.builder()
                         .addParameter("collection", collection).build())) {
                assertThat(exact.size()).isEqualTo(1000);
                assertThat(pg.size()).isEqualTo(1000);
                int same = 0;
                int overlap = 0;
                int queries = 0;
                for (int q = 0; q < 1000; q += 25) {
                    Path file = corel.resolve(List.of("africa", "beach", "buildings", "buses", "dinosaurs",
                            "elephants", "flowers", "horses", "mountains", "food").get(q / 100)).resolve(q + ".jpg");
                    // each store keys the file relative to the root it records (ImageSearch.idOf); compare files
                    List<Path> want = files(single, expected, file);
                    assertThat(files(loaded, exact, file)).as("exact top-10 of %s", file).isEqualTo(want);
                    List<Path> got = files(postgres, pg, file);
                    same += got.equals(want) ? 1 : 0;
                    overlap += (int) got.stream().filter(want::contains).count();
                    queries++;
                }
                // PostgreSQL searches an HNSW graph: approximate, so its top-10 is compared by overlap
                assertThat(overlap / (10.0 * queries)).as("postgres top-10 overlap (%d of %d identical)", same,
                        queries).isGreaterThanOrEqualTo(0.95);
            }
        } finally {
            PostgresForSpark.drop(collection);
        }
    }

    private static List<Path> files(StoreSpec spec, VectorStore store, Path query) {
        List<Path> files = new ArrayList<>();
        for (Match match : store.searchById(ImageSearch.idOf(spec, store.schema(), query), 10)) {
            files.add(ImageSearch.pathOf(spec, store.schema(), match.id()).toAbsolutePath().normalize());
        }
        return files;
    }
}
