package org.cnnkit.retrieval.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.zoo.InferenceEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main class for {@code spark-submit}: runs a {@link SparkFeatureJob} in the session Spark gives it.
 *
 * <pre>
 * spark-submit --class org.cnnkit.retrieval.spark.SparkFeatureJobMain \
 *     --files mobilenet_v2_0.35_224_no_top.weights.h5 cnnkit-spark-job.jar \
 *     --input s3a://photos/ --output s3a://features/run-2 --extractor mobilenetv2 --alpha 0.35 \
 *     --weights mobilenet_v2_0.35_224_no_top.weights.h5 [--previous s3a://features/run-1] \
 *     [--store postgres:jdbc:postgresql://db:5432/images?user=cnnkit] [--store-option K=V]...
 * </pre>
 *
 * Options: {@code --input PATH}, {@code --output PATH} (required); {@code --extractor vgg16|mobilenetv2}
 * (default vgg16), {@code --alpha A}, {@code --image-size PX}, {@code --weights FILE}, {@code --engine dl4j|onnx},
 * {@code --previous PATH}, {@code --glob GLOB}, {@code --partitions N}, {@code --files-per-group N},
 * {@code --store SPEC}, {@code --store-option K=V}. The job's report goes to the log (SLF4J) as one line.
 */
public final class SparkFeatureJobMain {

    private static final Logger LOG = LoggerFactory.getLogger(SparkFeatureJobMain.class);

    private SparkFeatureJobMain() {
    }

    /**
     * Parses the options and runs the job.
     *
     * @param args the options (see the class description)
     */
    public static void main(String[] args) {
        SparkFeatureJob job = parse(args);
        SparkSession spark = SparkSession.builder().appName("cnnkit feature extraction").getOrCreate();
        try {
            SparkFeatureJob.Report report = job.run(spark);
            LOG.info("cnnkit job done: {} files listed, {} extracted, {} carried over, {} skipped, {} vectors, "
                            + "{} loaded into the store, in {} s", report.listed(), report.extracted(),
                    report.carried(), report.skipped(), report.vectors(), report.loaded(),
                    report.elapsed().toMillis() / 1000.0);
        } finally {
            spark.stop();
        }
    }

    /**
     * Parses the options into a job.
     *
     * @param args the options
     * @return the job
     * @throws CnnkitException if an option is unknown, lacks its value, or a required one is missing
     */
    static SparkFeatureJob parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> storeOptions = new LinkedHashMap<>();
        List<String> known = List.of("--input", "--output", "--extractor", "--alpha", "--image-size", "--weights",
                "--engine", "--previous", "--glob", "--partitions", "--files-per-group", "--store", "--store-option");
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!known.contains(name)) {
                throw new CnnkitException("unknown option '" + name + "'; the options are " + known);
            }
            if (i + 1 >= args.length) {
                throw new CnnkitException("option " + name + " needs a value");
            }
            String value = args[++i];
            if (name.equals("--store-option")) {
                int eq = value.indexOf('=');
                if (eq <= 0) {
                    throw new CnnkitException("--store-option takes K=V, got '" + value + "'");
                }
                storeOptions.put(value.substring(0, eq), value.substring(eq + 1));
            } else {
                values.put(name, value);
            }
        }
        List<String> missing = new ArrayList<>();
        for (String required : List.of("--input", "--output")) {
            if (!values.containsKey(required)) {
                missing.add(required);
            }
        }
        if (!missing.isEmpty()) {
            throw new CnnkitException("missing required option(s) " + missing);
        }
        try {
            ExtractorSpec.Kind kind = ExtractorSpec.Kind.parse(values.getOrDefault("--extractor", "vgg16"));
            ExtractorSpec spec = new ExtractorSpec(kind, Double.parseDouble(values.getOrDefault("--alpha", "1.0")),
                    java.util.Optional.empty(),
                    Integer.parseInt(values.getOrDefault("--image-size", "224")));
            if (values.containsKey("--weights")) {
                spec = spec.withWeights(Path.of(values.get("--weights")));
            }
            SparkFeatureJob.Builder builder = SparkFeatureJob.builder().setInput(values.get("--input"))
                    .setOutput(values.get("--output")).setExtractor(spec).optPrevious(values.get("--previous"))
                    .optPathGlobFilter(values.get("--glob")).optStoreParameters(storeOptions);
            if (values.containsKey("--engine")) {
                builder.optEngine(InferenceEngine.parse(values.get("--engine")));
            }
            if (values.containsKey("--partitions")) {
                builder.optPartitions(Integer.parseInt(values.get("--partitions")));
            }
            if (values.containsKey("--files-per-group")) {
                builder.optFilesPerGroup(Integer.parseInt(values.get("--files-per-group")));
            }
            if (values.containsKey("--store")) {
                builder.optStore(StoreSpec.parse(values.get("--store")));
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new CnnkitException("invalid option value: " + e.getMessage(), e);
        }
    }
}
