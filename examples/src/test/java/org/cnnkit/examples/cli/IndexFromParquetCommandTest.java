package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.examples.PatternGallery;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.spark.SparkFeatureJob;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code index --from-parquet}: a Spark job's table into a store, then searched by the CLI. */
class IndexFromParquetCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void givingNeitherOrBothOfDataAndFromParquetIsAUsageError() {
        assertThat(run("index", "--out", dir.resolve("x.cfi").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("exactly one of --data DIR and --from-parquet DIR");
        assertThat(run("index", "--data", dir.toString(), "--from-parquet", dir.toString(), "--out",
                dir.resolve("x.cfi").toString())).isEqualTo(2);
    }

    @Test
    void aJobsTableLoadsIntoAnIndexThatTheSearchCommandSearches() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        int images = PatternGallery.write(gallery, 3, 64, 1);
        SparkSession spark = LocalSpark.start(2);
        try {
            SparkFeatureJob.builder().setInput(gallery.toString()).setOutput(dir.resolve("table").toString())
                    .setExtractor(new ExtractorSpec(ExtractorSpec.Kind.MOBILENETV2, 0.35, java.util.Optional.empty(),
                            64).withWeights(weights)).build().run(spark);
        } finally {
            spark.stop();
        }
        Path index = dir.resolve("gallery.cfi");
        Path report = dir.resolve("load.json");
        assertThat(run("index", "--from-parquet", dir.resolve("table").toString(), "--out", index.toString(),
                "--report", report.toString())).as(err.toString()).isZero();
        JsonNode loaded = new ObjectMapper().readTree(report.toFile());
        assertThat(loaded.get("loaded").asLong()).isEqualTo(images);
        assertThat(loaded.get("total").asLong()).isEqualTo(images);
        assertThat(loaded.at("/table/format_version").asInt()).isEqualTo(1);

        Path query;
        try (var files = Files.walk(gallery)) {
            query = files.filter(f -> f.toString().endsWith(".png")).findFirst().orElseThrow();
        }
        assertThat(run("search", "--index", index.toString(), "--top", "3", query.toString())).as(err.toString())
                .isZero();
        assertThat(out.toString()).contains(query.getFileName().toString());
    }
}
