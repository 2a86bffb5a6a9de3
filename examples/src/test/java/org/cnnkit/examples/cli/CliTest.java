package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class CliTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void withoutArgumentsListsTheCommandsAndSucceeds() {
        int exit = run();

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("Commands:").contains("import-mnist").contains("help");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void everyCommandHasHelp() {
        assertThat(run("import-mnist", "--help")).isZero();
        assertThat(out.toString()).contains("--images=FILE").contains("--report=FILE").contains("--verbose");
        out.getBuffer().setLength(0);
        assertThat(run("help", "import-mnist")).isZero();
        assertThat(out.toString()).contains("--labels=FILE");
    }

    @Test
    void anUnknownOptionIsAUsageErrorWithExitCode2() {
        int exit = run("import-mnist", "--images", "a", "--labels", "b", "--out", "c", "--no-such-option");

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--no-such-option").contains("Usage:");
    }

    @Test
    void aMissingRequiredOptionIsAUsageError() {
        assertThat(run("import-mnist", "--images", "a")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required options");
    }

    @Test
    void aBadLimitFoundWhileRunningIsAUsageError() throws IOException {
        Path[] idx = writeIdxPair(6, 0);
        int exit = run("import-mnist", "--images", idx[0].toString(), "--labels", idx[1].toString(),
                "--limit", "0", "--out", dir.resolve("out").toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("--limit must be at least 1");
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void importMnistWritesTheChosenClassesBalancedAndAJsonReport() throws IOException {
        Path[] idx = writeIdxPair(30, 1); // labels cycle 0,1,2,0,1,2,...: 10 of each; gzip images, raw labels
        Path outDir = dir.resolve("digits");
        Path reportFile = dir.resolve("reports/import.json");

        int exit = run("import-mnist", "--images", idx[0].toString(), "--labels", idx[1].toString(),
                "--classes", "0,2", "--limit", "7", "--out", outDir.toString(), "--report", reportFile.toString());

        assertThat(exit).as(err.toString()).isZero();
        try (var zeros = Files.list(outDir.resolve("0")); var twos = Files.list(outDir.resolve("2"))) {
            assertThat(zeros.count()).isEqualTo(4);
            assertThat(twos.count()).isEqualTo(3);
        }
        assertThat(outDir.resolve("1")).doesNotExist();
        // image 5 has label 2; its pixels are (5 + position) % 256
        var png = ImageIO.read(outDir.resolve("2/00005.png").toFile());
        assertThat(png.getRaster().getSample(3, 1, 0)).isEqualTo(5 + 1 * 4 + 3);
        assertThat(out.toString()).contains("Wrote 7 images");

        JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
        assertThat(report.get("command").asText()).isEqualTo("import-mnist");
        assertThat(report.get("version").asText()).isNotBlank();
        assertThat(report.get("started").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(report.get("status").asText()).isEqualTo("ok");
        assertThat(report.get("seconds").asDouble()).isPositive();
        assertThat(report.get("images").asInt()).isEqualTo(7);
        assertThat(report.get("classes")).hasSize(2);
        assertThat(report.get("classes").get(0).asText()).isEqualTo("0");
        assertThat(report.get("classes").get(1).asText()).isEqualTo("2");
        assertThat(report.get("per_class").get("0").asInt()).isEqualTo(4);
        assertThat(report.get("per_class").get("2").asInt()).isEqualTo(3);
        assertThat(report.get("source").get("count").asInt()).isEqualTo(30);
        assertThat(report.get("image_size").get("width").asInt()).isEqualTo(4);
        try (var files = Files.list(reportFile.getParent())) {
            assertThat(files).containsExactly(reportFile); // no temporary file left behind
        }
    }

    @Test
    void aMissingInputFileFailsWithExitCode1AndOneLineWithoutStackTrace() throws IOException {
        Path[] idx = writeIdxPair(3, 0);
        Path missing = dir.resolve("no-such-images.gz");
        Path reportFile = dir.resolve("report.json");

        int exit = run("import-mnist", "--images", missing.toString(), "--labels", idx[1].toString(),
                "--out", dir.resolve("out").toString(), "--report", reportFile.toString());

        assertThat(exit).isEqualTo(1);
        String message = err.toString();
        assertThat(message.lines()).hasSize(1);
        assertThat(message).contains("import-mnist").contains("not found").contains(missing.toString());
        assertThat(message).doesNotContain("\tat ").doesNotContain("Exception");
        JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
        assertThat(report.get("status").asText()).isEqualTo("failed");
        assertThat(report.get("error").asText()).contains(missing.toString());
    }

    @Test
    void verbosePrintsTheStackTrace() throws IOException {
        Path[] idx = writeIdxPair(3, 0);

        int exit = run("import-mnist", "--images", idx[1].toString(), "--labels", idx[1].toString(),
                "--out", dir.resolve("out").toString(), "--verbose");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().lines().findFirst()).hasValueSatisfying(line ->
                assertThat(line).contains("swapped"));
        assertThat(err.toString()).contains("CnnkitException").contains("\tat org.cnnkit.core.data.Mnist");
    }

    @Command(name = "fail")
    static final class FailingCommand extends CliCommand {
        @Option(names = "--error")
        boolean error;

        @Override
        protected void run(Report report) {
            if (error) {
                throw new OutOfMemoryError("Java heap space");
            }
            throw new IllegalStateException("network is not\ninitialised");
        }
    }

    private int runWithFailingCommand(String... args) {
        return CliRunner.run(Cli.commandLine().addSubcommand(new FailingCommand()), out, err, args);
    }

    @Test
    void anUnexpectedExceptionIsOneLineWithItsTypeAndMessage() {
        int exit = runWithFailingCommand("fail");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("cnnkit fail: IllegalStateException: network is not initialised"
                + System.lineSeparator());
    }

    @Test
    void anErrorIsOneLineTooAndVerboseAddsItsStackTrace() {
        assertThat(runWithFailingCommand("fail", "--error")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("cnnkit: OutOfMemoryError: Java heap space" + System.lineSeparator());

        err.getBuffer().setLength(0);
        assertThat(runWithFailingCommand("fail", "--error", "--verbose")).isEqualTo(1);
        assertThat(err.toString()).startsWith("cnnkit: OutOfMemoryError: Java heap space")
                .contains("\tat org.cnnkit.examples.cli.CliTest$FailingCommand.run");
    }

    /**
     * Writes an IDX pair of {@code count} 3x4 images whose pixels are {@code (index + position) % 256}, labels cycling
     * 0, 1, 2. With {@code gzipImages} 1 the image file is gzip-compressed. Returns {images, labels}.
     */
    private Path[] writeIdxPair(int count, int gzipImages) throws IOException {
        ByteBuffer images = ByteBuffer.allocate(16 + count * 12);
        images.putInt(2051).putInt(count).putInt(3).putInt(4);
        ByteBuffer labels = ByteBuffer.allocate(8 + count);
        labels.putInt(2049).putInt(count);
        for (int i = 0; i < count; i++) {
            for (int p = 0; p < 12; p++) {
                images.put((byte) ((i + p) % 256));
            }
            labels.put((byte) (i % 3));
        }
        byte[] imageBytes = images.array();
        if (gzipImages == 1) {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(compressed)) {
                gz.write(imageBytes);
            }
            imageBytes = compressed.toByteArray();
        }
        return new Path[] {
            Files.write(dir.resolve("images-idx3-ubyte" + (gzipImages == 1 ? ".gz" : "")), imageBytes),
            Files.write(dir.resolve("labels-idx1-ubyte"), labels.array())
        };
    }

    @Test
    void benchListsItsWorkloadsAndRefusesUnknownOnes() {
        assertThat(run("bench", "--list")).isZero();
        assertThat(out.toString()).contains("cnn-train-100").contains("index-query-l2-100k-4096")
                .contains("pipeline-decode-augment-224");

        assertThat(run("bench", "no-such-workload")).isEqualTo(2);
        assertThat(err.toString()).contains("no-such-workload").contains("known");
    }
}
