package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.examples.cli.LocalSpark;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.spark.SparkFeatureJob;
import org.cnnkit.zoo.InferenceEngine;

/**
 * The child JVM of {@link SparkOverheadWorkload}: starts a {@code local[2]} session, warms it with the job on four
 * images (which builds the executor's extractor), then runs the job on the whole folder and prints
 * {@value #RESULT} followed by the job's seconds and its vectors.
 */
public final class SparkOverheadChild {

    /** The prefix of the result line on standard output. */
    static final String RESULT = "spark-overhead-result:";

    private SparkOverheadChild() {
    }

    /**
     * Runs the job.
     *
     * @param args the image folder, the output folder, the weights file, the engine ({@code fastest}, {@code dl4j}
     *     or {@code onnx})
     * @throws IOException if the warm-up folder cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path images = Path.of(args[0]);
        Path output = Path.of(args[1]);
        ExtractorSpec spec = ExtractorSpec.mobileNetV2(0.35).withWeights(Path.of(args[2]));
        InferenceEngine engine = args[3].equals("fastest") ? null : InferenceEngine.parse(args[3]);
        SparkSession spark = LocalSpark.start(2);
        try {
            Path warm = Files.createDirectories(output.resolveSibling("warm-up-images"));
            try (Stream<Path> walk = Files.walk(images)) {
                for (Path file : walk.filter(f -> f.toString().endsWith(".jpg")).limit(4).toList()) {
                    Files.copy(file, warm.resolve(file.getFileName()));
                }
            }
            SparkFeatureJob.builder().setInput(warm.toString()).setOutput(output.resolveSibling("warm-up").toString())
                    .setExtractor(spec).optEngine(engine).build().run(spark);
            SparkFeatureJob.Report report = SparkFeatureJob.builder().setInput(images.toString())
                    .setOutput(output.toString()).setExtractor(spec).optEngine(engine).optPathGlobFilter("*.jpg").build()
                    .run(spark);
            System.out.println(RESULT + " " + report.elapsed().toNanos() / 1e9 + " " + report.vectors());
            System.out.flush();
        } finally {
            spark.stop();
        }
    }
}
