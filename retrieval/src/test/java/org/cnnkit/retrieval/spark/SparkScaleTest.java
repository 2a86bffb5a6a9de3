package org.cnnkit.retrieval.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing on the driver grows with the number of images: the job runs on {@code -Dcnnkit.spark.scale} generated
 * images (2000 by default, so that every build runs it; 20000 takes many minutes) and on a tenth of them, each in a JVM with a 512 MiB heap (the least Spark
 * accepts in local mode, where the driver is also the executor), and the heap's live set after the job stays within
 * 32 MiB between the two.
 */
class SparkScaleTest {

    @TempDir
    Path dir;

    @Test
    void aJobOverManyImagesRunsInASmallDriverHeapWhoseLiveSetDoesNotGrowWithTheImages() throws Exception {
        int images = Integer.getInteger("cnnkit.spark.scale", 2000);
        Path weights = SparkTestImages.assets().resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        SparkTestImages.mobileNet(32); // skips without the weights
        long[] small = runChild(dir.resolve("small"), images / 10, weights);
        long[] large = runChild(dir.resolve("large"), images, weights);
        System.out.printf("spark scale: %d images: %d ms, live heap %d MiB, peak %d MiB; %d images: %d ms, live heap "
                        + "%d MiB, peak %d MiB (max heap %d MiB)%n", small[0], small[2], small[3], small[4], large[0],
                large[2], large[3], large[4], large[5]);
        assertThat(small[0]).isEqualTo(images / 10);
        assertThat(large[0]).isEqualTo(images);
        assertThat(large[3]).as("live heap MiB after %d images vs %d", images, images / 10)
                .isLessThanOrEqualTo(small[3] + 32);
    }

    private static long[] runChild(Path work, int images, Path weights) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("--add-opens") || argument.startsWith("-Dio.netty")
                    || argument.startsWith("-Djdk.reflect") || argument.startsWith("-Dorg.bytedeco")) {
                command.add(argument);
            }
        }
        command.add("-Xmx512m"); // Spark refuses a local-mode heap below 450 MiB
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(SparkScaleChild.class.getName());
        command.add(work.toString());
        command.add(Integer.toString(images));
        command.add(weights.toString());
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String result = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith(SparkScaleChild.RESULT)) {
                    result = line.substring(SparkScaleChild.RESULT.length()).trim();
                }
            }
        }
        assertThat(child.waitFor()).as("exit code of the job's JVM (%d images)", images).isZero();
        assertThat(result).isNotNull();
        String[] parts = result.split(" ");
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Long.parseLong(parts[i]);
        }
        return values;
    }
}
