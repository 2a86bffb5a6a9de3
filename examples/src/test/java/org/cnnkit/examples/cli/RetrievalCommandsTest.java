package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.cnnkit.examples.PatternGallery;
import org.cnnkit.retrieval.NearDuplicateSuite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalCommandsTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void indexSearchAndEvaluateOnTheGeneratedGallery() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        PatternGallery.write(gallery, 3, 64, 1);
        Files.writeString(gallery.resolve("circles/broken.png"), "not an image");
        Path index = dir.resolve("gallery.cfi");
        String[] extractor = {"--extractor", "mobilenetv2", "--alpha", "0.35", "--weights", weights.toString(),
                "--image-size", "64"};

        Path indexReport = dir.resolve("index.json");
        String[] indexArgs = concat(new String[] {"index", "--data", gallery.toString(), "--out", index.toString(),
                "--report", indexReport.toString()}, extractor);
        assertThat(run(indexArgs)).as(err.toString()).isZero();
        JsonNode indexed = new ObjectMapper().readTree(indexReport.toFile());
        assertThat(indexed.get("indexed").asInt()).isEqualTo(24);
        assertThat(indexed.get("skipped").asInt()).isEqualTo(1);
        assertThat(indexed.get("skipped_files").get(0).get("file").asText()).endsWith("broken.png");
        assertThat(indexed.get("dimension").asInt()).isEqualTo(1280);
        assertThat(indexed.get("seconds").asDouble()).isPositive();

        // Again: nothing new to extract.
        assertThat(run(indexArgs)).as(err.toString()).isZero();
        assertThat(new ObjectMapper().readTree(indexReport.toFile()).get("unchanged").asInt()).isEqualTo(24);

        Path query = gallery.resolve("rings/rings-01.png");
        Path picture = dir.resolve("result.png");
        Path searchReport = dir.resolve("search.json");
        assertThat(run("search", "--index", index.toString(), "--top", "3", "--picture", picture.toString(),
                "--report", searchReport.toString(), query.toString())).as(err.toString()).isZero();
        JsonNode found = new ObjectMapper().readTree(searchReport.toFile());
        JsonNode matches = found.get("results").get(0).get("matches");
        assertThat(matches).hasSize(3);
        assertThat(matches.get(0).get("file").asText()).isEqualTo(query.toAbsolutePath().normalize().toString());
        assertThat(matches.get(0).get("distance").asDouble()).isCloseTo(0.0, org.assertj.core.api.Assertions.within(1e-4));
        assertThat(matches.get(1).get("distance").asDouble()).isGreaterThanOrEqualTo(0);
        BufferedImage sheet = ImageIO.read(picture.toFile());
        assertThat(sheet.getWidth()).isGreaterThan(3 * 200);
        assertThat(found.get("skipped")).isEmpty();

        // An unreadable query among others: the others are answered, it is listed as skipped, exit code 1.
        Path broken = gallery.resolve("circles/broken.png");
        out.getBuffer().setLength(0);
        assertThat(run("search", "--index", index.toString(), "--top", "2", "--report", searchReport.toString(),
                broken.toString(), query.toString())).as(err.toString()).isEqualTo(1);
        assertThat(out.toString()).contains("skipped " + broken + ": ").contains(query.toString());
        assertThat(err.toString()).doesNotContain("cnnkit search:");
        JsonNode partial = new ObjectMapper().readTree(searchReport.toFile());
        assertThat(partial.get("status").asText()).isEqualTo("partial");
        assertThat(partial.get("results")).hasSize(1);
        assertThat(partial.get("results").get(0).get("query").asText()).isEqualTo(query.toString());
        assertThat(partial.get("skipped").get(0).get("file").asText()).isEqualTo(broken.toString());
        assertThat(partial.get("skipped").get(0).get("reason").asText()).contains("not an image");

        Path evaluationReport = dir.resolve("evaluate.json");
        Path plots = dir.resolve("plots");
        assertThat(run(concat(new String[] {"evaluate-retrieval", "--data", gallery.toString(),
                "--report", evaluationReport.toString(), "--plot", plots.toString(), "--near-duplicates", "4"},
                extractor))).as(err.toString()).isZero();
        JsonNode evaluation = new ObjectMapper().readTree(evaluationReport.toFile());
        assertThat(evaluation.get("queries").asInt()).isEqualTo(24);
        for (String key : new String[] {"map", "precision_at_1", "precision_at_4", "precision_at_10"}) {
            assertThat(evaluation.get(key).asDouble()).as(key).isBetween(0.0, 1.0);
            assertThat(evaluation.get("halves").get(key).asDouble()).as("halves " + key).isBetween(0.0, 1.0);
            assertThat(evaluation.get("leave_one_out").get(key).asDouble()).isEqualTo(evaluation.get(key).asDouble());
        }
        assertThat(evaluation.get("protocol").asText()).isEqualTo("loo");
        assertThat(evaluation.get("variants").size()).isGreaterThanOrEqualTo(4);
        assertThat(evaluation.get("variants").get(0).get("halves_map").asDouble()).isBetween(0.0, 1.0);
        JsonNode copies = evaluation.get("near_duplicates");
        assertThat(copies.get("queries").asInt()).isEqualTo(24);
        assertThat(copies.get("per_distortion")).hasSize(6);
        assertThat(copies.get("per_distortion").get(5).get("distortion").asText()).isEqualTo("combined");
        assertThat(copies.get("recall_at_4").asDouble()).isBetween(copies.get("recall_at_1").asDouble(), 1.0);
        assertThat(out.toString()).contains("split halves").contains("near-duplicate recall@1");

        // The same evaluation through a store scores the store's own searches: exact gives the exact figures.
        Path storeReport = dir.resolve("evaluate-store.json");
        assertThat(run(concat(new String[] {"evaluate-retrieval", "--data", gallery.toString(), "--store",
                "exact:" + dir.resolve("evaluated.cfi"), "--report", storeReport.toString(), "--near-duplicates",
                "0", "--protocol", "halves"}, extractor)))
                .as(err.toString()).isZero();
        JsonNode throughStore = new ObjectMapper().readTree(storeReport.toFile());
        assertThat(throughStore.get("store").asText()).startsWith("exact:");
        assertThat(throughStore.get("leave_one_out").get("map").asDouble())
                .isCloseTo(throughStore.get("exact").get("map").asDouble(), org.assertj.core.api.Assertions.within(1e-3));
        assertThat(throughStore.get("map").asDouble()).isEqualTo(throughStore.get("halves").get("map").asDouble());
        assertThat(throughStore.get("near_duplicates")).isNull();
        Path curves = plots.resolve("retrieval-curves.png").toAbsolutePath().normalize();
        assertThat(evaluation.get("plots").get("retrieval_curves").asText()).isEqualTo(curves.toString());
        BufferedImage chart = ImageIO.read(curves.toFile());
        assertThat(chart.getWidth()).isEqualTo(1000);
        assertThat(chart.getHeight()).isEqualTo(600);
        Path nearDuplicateBars = plots.resolve("near-duplicates.png").toAbsolutePath().normalize();
        assertThat(evaluation.get("plots").get("near_duplicates").asText()).isEqualTo(nearDuplicateBars.toString());
        BufferedImage bars = ImageIO.read(nearDuplicateBars.toFile());
        assertThat(bars.getWidth()).isEqualTo(1000);
        assertThat(bars.getHeight()).isEqualTo(600);
    }

    @Test
    void duplicatesGroupsACopyWithItsOriginalAndDrawsTheGroup() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        PatternGallery.write(gallery, 1, 96, 2);
        BufferedImage original = ImageIO.read(gallery.resolve("circles/circles-00.png").toFile());
        NearDuplicateSuite suite = NearDuplicateSuite.builder().build();
        ImageIO.write(suite.distort(original, 0, NearDuplicateSuite.Distortion.CROP), "png",
                gallery.resolve("circles/circles-crop.png").toFile());
        ImageIO.write(suite.distort(original, 0, NearDuplicateSuite.Distortion.ROTATION), "png",
                gallery.resolve("circles/circles-rotation.png").toFile());
        ImageIO.write(suite.distort(original, 0, NearDuplicateSuite.Distortion.JPEG), "jpeg",
                gallery.resolve("circles/circles-jpeg.jpg").toFile());
        Path index = dir.resolve("gallery.cfi");
        assertThat(run("index", "--data", gallery.toString(), "--out", index.toString(), "--extractor", "mobilenetv2",
                "--alpha", "0.35", "--weights", weights.toString(), "--image-size", "48")).as(err.toString()).isZero();
        Path pictures = dir.resolve("groups");
        Path report = dir.resolve("duplicates.json");
        assertThat(run("duplicates", "--index", index.toString(), "--picture", pictures.toString(), "--report",
                report.toString())).as(err.toString()).isZero();
        JsonNode groups = new ObjectMapper().readTree(report.toFile());
        assertThat(groups.get("indexed").asInt()).isEqualTo(PatternGallery.FAMILIES.size() + 3);
        assertThat(groups.get("decision").asText()).isEqualTo("pixels");
        // Verified on the pixels, the one group is the pattern and its three copies; distinct patterns are alone.
        assertThat(groups.get("group_count").asInt()).as(groups.toString()).isEqualTo(1);
        JsonNode group = groups.get("groups").get(0);
        java.util.List<String> files = new java.util.ArrayList<>();
        group.get("files").forEach(f -> files.add(Path.of(f.get("file").asText()).getFileName().toString()));
        assertThat(files).containsExactlyInAnyOrder("circles-00.png", "circles-crop.png", "circles-rotation.png",
                "circles-jpeg.jpg");
        group.get("files").forEach(f -> assertThat(f.get("correlation").asDouble()).isGreaterThan(0.9));
        BufferedImage sheet = ImageIO.read(Path.of(group.get("picture").asText()).toFile());
        assertThat(sheet.getWidth()).isPositive();
        assertThat(out.toString()).contains("group 1").contains("decided on pixels");

        Path featuresReport = dir.resolve("features.json");
        assertThat(run("duplicates", "--index", index.toString(), "--features-only", "--report",
                featuresReport.toString())).as(err.toString()).isZero();
        assertThat(new ObjectMapper().readTree(featuresReport.toFile()).get("decision").asText())
                .isEqualTo("features");
        assertThat(run("duplicates", "--index", index.toString(), "--threshold", "1.5")).isEqualTo(2);
        assertThat(run("duplicates", "--index", index.toString(), "--min-correlation", "0")).isEqualTo(2);
    }

    @Test
    void updatingAnIndexWithoutExtractorOptionsUsesTheExtractorItRecords() throws Exception {
        Path weights = CliRunner.mobileNetWeights();
        Path gallery = dir.resolve("gallery");
        PatternGallery.write(gallery, 1, 48, 2);
        Path index = dir.resolve("gallery.cfi");
        assertThat(run("index", "--data", gallery.toString(), "--out", index.toString(), "--extractor", "mobilenetv2",
                "--alpha", "0.35", "--weights", weights.toString(), "--image-size", "48")).as(err.toString()).isZero();

        Files.copy(gallery.resolve("rings/rings-00.png"), gallery.resolve("rings/rings-copy.png"));
        Path report = dir.resolve("update.json");
        assertThat(run("index", "--data", gallery.toString(), "--out", index.toString(), "--report", report.toString()))
                .as(err.toString()).isZero();
        JsonNode updated = new ObjectMapper().readTree(report.toFile());
        assertThat(updated.get("indexed").asInt()).isEqualTo(1);
        assertThat(updated.get("unchanged").asInt()).isEqualTo(PatternGallery.FAMILIES.size());
        assertThat(updated.get("dimension").asInt()).isEqualTo(1280);
        assertThat(updated.get("extractor").get("identity").asText()).containsIgnoringCase("mobilenet");
    }

    @Test
    void aDamagedIndexFailsWithOneLineAndExitCode1() throws Exception {
        Path index = Files.writeString(dir.resolve("bad.cfi"), "definitely not an index");
        Path image = dir.resolve("q.png");
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), "png", image.toFile());
        assertThat(run("search", "--index", index.toString(), image.toString())).isEqualTo(1);
        assertThat(err.toString().strip()).contains("bad.cfi").doesNotContain("\n").doesNotContain("Exception");
        assertThat(run("search", "--index", index.toString(), "--top", "0", image.toString())).isEqualTo(2);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
