package org.cnnkit.retrieval.spark;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.retrieval.ExtractorSpec;

/**
 * A JVM of {@link SparkScaleTest}: writes N small generated images, runs the job on them in {@code local[2]} and
 * prints the job's counts and the heap's live set after garbage collection ({@value #RESULT} line).
 */
public final class SparkScaleChild {

    static final String RESULT = "spark-scale-result:";

    private SparkScaleChild() {
    }

    /**
     * Runs the job.
     *
     * @param args the work folder, the number of images, the weights file
     * @throws Exception if anything fails (the test reads the exit code)
     */
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int images = Integer.parseInt(args[1]);
        for (int i = 0; i < images; i++) {
            SparkTestImages.drawPng(work.resolve("images/d" + i / 1000 + "/i" + i + ".png"), i, 16 + i % 17);
        }
        ExtractorSpec spec = new ExtractorSpec(ExtractorSpec.Kind.MOBILENETV2, 0.35, java.util.Optional.empty(), 32)
                .withWeights(Path.of(args[2]));
        SparkSession spark = SparkTestImages.localSession();
        try {
            SparkFeatureJob.Report report = SparkFeatureJob.builder().setInput(work.resolve("images").toString())
                    .setOutput(work.resolve("out").toString()).setExtractor(spec).build().run(spark);
            System.gc();
            long liveAfterGc = 0;
            long peak = 0;
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getType() == MemoryType.HEAP) {
                    peak += pool.getPeakUsage().getUsed();
                    if (pool.getCollectionUsage() != null) {
                        liveAfterGc += pool.getCollectionUsage().getUsed();
                    }
                }
            }
            System.out.println(RESULT + " " + report.vectors() + " " + report.partitions() + " "
                    + report.elapsed().toMillis() + " " + (liveAfterGc >> 20) + " " + (peak >> 20) + " "
                    + (Runtime.getRuntime().maxMemory() >> 20));
            System.out.flush();
            Files.writeString(work.resolve("done"), "ok");
        } finally {
            spark.stop();
        }
    }
}
