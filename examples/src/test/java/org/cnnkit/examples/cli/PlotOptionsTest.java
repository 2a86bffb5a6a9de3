package org.cnnkit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The picture options are checked before any work starts: bad values are usage errors naming the option. */
class PlotOptionsTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CliRunner.run(out, err, args);
    }

    @Test
    void anUnknownPlotFormatIsAUsageError() {
        int exit = run("train", "--data", dir.resolve("nowhere").toString(), "--model", "cnn", "--out",
                dir.resolve("m.cnnkit").toString(), "--plot", dir.resolve("plots").toString(), "--plot-format", "gif");

        assertThat(exit).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("--plot-format must be png or svg, got 'gif'");
    }

    @Test
    void aPlotFolderThatIsAFileIsAUsageError() throws Exception {
        Path file = Files.writeString(dir.resolve("plots"), "a file");

        int exit = run("evaluate", "--model", dir.resolve("m.cnnkit").toString(), "--data", dir.toString(),
                "--plot", file.toString());

        assertThat(exit).as(err.toString()).isEqualTo(2);
        assertThat(err.toString()).contains("--plot must be a folder").contains(file.toString());
    }

    @Test
    void benchRefusesPeerLinesWithoutAPictureAndAPictureOfAnUnknownFormat() throws Exception {
        Path peer = Files.writeString(dir.resolve("peer.jsonl"),
                "{\"workload\": \"cnn-infer-100\", \"value\": 434.09, \"unit\": \"images/s\", \"peer\": \"pytorch\"}\n");

        assertThat(run("bench", "--peer", peer.toString(), "cnn-infer-100")).isEqualTo(2);
        assertThat(err.toString()).contains("--peer needs --plot FILE");

        assertThat(run("bench", "--plot", dir.resolve("bench.jpg").toString(), "cnn-infer-100")).isEqualTo(2);
        assertThat(err.toString()).contains("--plot:").contains("must end in .png or .svg");
    }

    @Test
    void benchRefusesAMalformedPeerFileBeforeRunning() throws Exception {
        Path peer = Files.writeString(dir.resolve("peer.jsonl"), "{\"workload\": \"cnn-infer-100\"}\n");

        int exit = run("bench", "--plot", dir.resolve("bench.png").toString(), "--peer", peer.toString(),
                "cnn-infer-100");

        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("peer.jsonl line 1 has no 'value'");
        assertThat(out.toString()).doesNotContain("\"workload\"");
    }
}
