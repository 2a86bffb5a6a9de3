package org.cnnkit.retrieval.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import org.apache.spark.sql.execution.datasources.PartitioningAwareFileIndex;
import org.apache.spark.storage.StorageLevel;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.ExtractorSpec;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.zoo.InferenceEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Extracts the features of every image under a path Spark can read ({@code file:}, {@code hdfs://}, {@code s3a://},
 * {@code gs://}) into a Parquet {@link FeatureTable}, as a Spark job.
 *
 * <pre>{@code
 * SparkFeatureJob.Report report = SparkFeatureJob.builder()
 *         .setInput("s3a://photos/")
 *         .setOutput("s3a://features/2026-12-02")
 *         .setExtractor(ExtractorSpec.mobileNetV2(0.35).withWeights(Path.of("mobilenet_v2_0.35_224_no_top.weights.h5")))
 *         .optPrevious("s3a://features/2026-12-01")
 *         .build()
 *         .run(spark);
 * }</pre>
 *
 * <p>Zero-byte files are in the {@value FeatureTable#SKIPPED} table with the decoder's reason ("the file is empty
 * (0 bytes)"): Spark's file scan never hands an empty file to a task, so the job takes them from the listing's file
 * index, which holds every listed file's status already (no second listing, nothing read).
 *
 * <p>How it runs: Spark's {@code binaryFile} source lists the files (their bytes are not read there, nor sent to the
 * driver); files whose id, size and modification time match a row of the previous table (features or skipped) are
 * carried over, the others are spread over the partitions, where each task reads its files a group at a time and
 * extracts them with the executor JVM's single extractor ({@link ExecutorExtractors}). The output folder gets the
 * {@value FeatureTable#FEATURES} and {@value FeatureTable#SKIPPED} tables, written through Spark's commit protocol: a
 * retried or speculative task never leaves duplicate rows. With a store ({@link Builder#optStore}), the committed
 * features table is then loaded into it by {@link StoreLoad}: idempotent puts by id, so a retried task or a re-run
 * job never duplicates an entry. Nothing cnnkit keeps on the driver grows with the number of images (Spark's file
 * index does hold every listed file's status there: see docs/spark.md).
 */
public final class SparkFeatureJob {

    private static final Logger LOG = LoggerFactory.getLogger(SparkFeatureJob.class);

    private static final String ADAPTIVE = "spark.sql.adaptive.enabled";
    private static final String MAX_FILE_PARTITIONS = "spark.sql.files.maxPartitionNum";
    /** Files per partition of the listing's scan (statuses only: no content is read there). */
    static final long LISTED_FILES_PER_PARTITION = 10_000;

    /** Files per partition when the job chooses the number of partitions. */
    static final int FILES_PER_PARTITION = 512;

    private final String input;
    private final String output;
    private final ExtractorSpec extractor;
    private final InferenceEngine engine;
    private final Optional<String> previous;
    private final Optional<String> pathGlobFilter;
    private final int partitions;
    private final int filesPerGroup;
    private final long maxFileBytes;
    private final Optional<StoreSpec> store;
    private final Map<String, String> storeParameters;
    private final int failOncePartition;
    private final int failOnceStorePartition;

    private SparkFeatureJob(Builder builder) {
        this.input = Objects.requireNonNull(builder.input, "setInput is required");
        this.output = Objects.requireNonNull(builder.output, "setOutput is required");
        this.extractor = Objects.requireNonNull(builder.extractor, "setExtractor is required");
        this.engine = builder.engine;
        this.previous = Optional.ofNullable(builder.previous);
        this.pathGlobFilter = Optional.ofNullable(builder.pathGlobFilter);
        this.partitions = builder.partitions;
        this.filesPerGroup = builder.filesPerGroup;
        this.maxFileBytes = builder.maxFileBytes;
        this.store = Optional.ofNullable(builder.store);
        this.storeParameters = Map.copyOf(builder.storeParameters);
        this.failOncePartition = builder.failOncePartition;
        this.failOnceStorePartition = builder.failOnceStorePartition;
    }

    /** {@return a builder of a job} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the job.
     *
     * <p>The job's queries run with Spark's adaptive query execution off ({@code spark.sql.adaptive.enabled}): the
     * job sizes its partitions itself, and AQE's separate job per shuffle stage and re-planning made up about half of
     * the job's overhead over the extraction (docs/spark.md, "Measured"). Its file scans are capped at one partition
     * per 10,000 listed files, at least the default parallelism ({@code spark.sql.files.maxPartitionNum}). Both
     * settings are put back as they were when the job ends.
     *
     * @param spark the session (a cluster's, or {@code local[N]})
     * @return what the job did
     * @throws CnnkitException if the input does not exist, the previous table records another extractor, the output
     *     is the previous table, or the weights cannot be found; the message says which
     */
    public Report run(SparkSession spark) {
        SessionSettings settings = new SessionSettings(spark);
        try {
            settings.set(ADAPTIVE, "false");
            return run(spark, settings);
        } finally {
            settings.restore();
        }
    }

    private Report run(SparkSession spark, SessionSettings settings) {
        long start = System.nanoTime();
        String root = qualified(spark, input);
        String target = qualified(spark, output);
        if (previous.isPresent() && qualified(spark, previous.get()).equals(target)) {
            throw new CnnkitException("the output " + output + " is the previous table: write the new table to "
                    + "another folder (the previous one is read while the new one is written)");
        }
        Map<String, String> spec = extractor.toProperties();
        String engineId = engine == null ? null : engine.id();
        ExtractorIdentity identity = identityOnExecutor(spark, spec, engineId);
        FeatureTable table = new FeatureTable(FeatureTable.FORMAT_VERSION, identity, spec, root);
        LOG.info("extracting {} features of the images under {} into {}", identity.describe(), root, target);

        Listing files = listing(spark, root);
        Dataset<Row> listing = files.rows();
        long listed = files.count() >= 0 ? files.count() : listing.count();
        // binaryFile charges every file Spark's 4 MB open cost, though the listing reads no content: one task per 32
        // files (about 310,000 for ten million files) unless the number of scan partitions is capped
        settings.set(MAX_FILE_PARTITIONS, Long.toString(Math.max(spark.sparkContext().defaultParallelism(),
                (listed + LISTED_FILES_PER_PARTITION - 1) / LISTED_FILES_PER_PARTITION)));
        Dataset<Row> toExtract = listing;
        Dataset<Row> carried = null;
        Dataset<Row> carriedSkipped = null;
        if (previous.isPresent()) {
            Dataset<Row> previousFeatures = StoreLoad.readTable(spark, previous.get() + "/" + FeatureTable.FEATURES);
            FeatureTable before = FeatureTable.of(previousFeatures.schema(), previous.get());
            if (!before.identity().equals(identity)) {
                throw new CnnkitException("the previous table " + previous.get() + " was written with extractor ["
                        + before.identity().describe() + "] but this job extracts with [" + identity.describe()
                        + "]: write a new table without the previous one, or use the same extractor");
            }
            Dataset<Row> previousSkipped = StoreLoad.readTable(spark, previous.get() + "/" + FeatureTable.SKIPPED);
            Dataset<Row> keys = listing.select(col(FeatureTable.ID).as("k_id"), col(FeatureTable.SIZE).as("k_size"),
                    col(FeatureTable.MODIFICATION_TIME).as("k_time"));
            carried = previousFeatures.join(keys, sameFile(previousFeatures), "left_semi");
            carriedSkipped = previousSkipped.join(keys, sameFile(previousSkipped), "left_semi");
            Dataset<Row> known = previousFeatures.select(col(FeatureTable.ID), col(FeatureTable.SIZE),
                    col(FeatureTable.MODIFICATION_TIME)).union(previousSkipped.select(col(FeatureTable.ID),
                    col(FeatureTable.SIZE), col(FeatureTable.MODIFICATION_TIME)))
                    .select(col(FeatureTable.ID).as("k_id"), col(FeatureTable.SIZE).as("k_size"),
                            col(FeatureTable.MODIFICATION_TIME).as("k_time"));
            toExtract = listing.join(known, sameFile(listing), "left_anti");
        }
        long pending = previous.isPresent() ? toExtract.count() : listed;
        int parts = partitions > 0 ? partitions : (int) Math.max(spark.sparkContext().defaultParallelism(),
                Math.min(100_000, (pending + FILES_PER_PARTITION - 1) / FILES_PER_PARTITION));
        Dataset<Row> extracted = toExtract.repartition(parts)
                .mapPartitions(new PartitionExtraction(spec, engineId,
                        new HadoopFiles(spark.sparkContext().hadoopConfiguration()), filesPerGroup, maxFileBytes,
                        failOncePartition), Encoders.row(PartitionExtraction.OUTPUT))
                .persist(StorageLevel.DISK_ONLY());
        try {
            Dataset<Row> features = extracted.filter(col(FeatureTable.REASON).isNull()).select(col(FeatureTable.ID),
                    col(FeatureTable.SIZE), col(FeatureTable.MODIFICATION_TIME), col(FeatureTable.VECTOR));
            Dataset<Row> skipped = extracted.filter(col(FeatureTable.REASON).isNotNull()).select(col(FeatureTable.ID),
                    col(FeatureTable.SIZE), col(FeatureTable.MODIFICATION_TIME), col(FeatureTable.REASON));
            if (carried != null) {
                features = features.unionByName(carried.select(col(FeatureTable.ID), col(FeatureTable.SIZE),
                        col(FeatureTable.MODIFICATION_TIME), col(FeatureTable.VECTOR)));
                skipped = skipped.unionByName(carriedSkipped.select(col(FeatureTable.ID), col(FeatureTable.SIZE),
                        col(FeatureTable.MODIFICATION_TIME), col(FeatureTable.REASON)));
            }
            features.select(col(FeatureTable.ID), col(FeatureTable.SIZE), col(FeatureTable.MODIFICATION_TIME),
                            col(FeatureTable.VECTOR).as(FeatureTable.VECTOR, table.metadata()))
                    .write().mode(SaveMode.Overwrite).parquet(output + "/" + FeatureTable.FEATURES);
            skipped.write().mode(SaveMode.Overwrite).parquet(output + "/" + FeatureTable.SKIPPED);
            // one job over the persisted extraction counts both; without a previous table they are the tables' rows
            Row counts = extracted.agg(count(when(col(FeatureTable.REASON).isNull(), 1)),
                    count(when(col(FeatureTable.REASON).isNotNull(), 1))).first();
            long extractedVectors = counts.getLong(0);
            long newlySkipped = counts.getLong(1);
            long vectors = extractedVectors;
            long skippedTotal = newlySkipped;
            if (carried != null) {
                vectors = spark.read().parquet(output + "/" + FeatureTable.FEATURES).count();
                skippedTotal = spark.read().parquet(output + "/" + FeatureTable.SKIPPED).count();
            }
            long loaded = 0;
            if (store.isPresent()) {
                loaded = StoreLoad.builder().setTable(output).setStore(store.get())
                        .optParameters(storeParameters).optFailOncePartition(failOnceStorePartition).build()
                        .runDistributed(spark).loaded();
            }
            Report report = new Report(listed, pending, extractedVectors, newlySkipped,
                    vectors - extractedVectors, vectors, skippedTotal, parts, loaded, identity,
                    Duration.ofNanos(System.nanoTime() - start));
            LOG.info("{}", report);
            return report;
        } finally {
            extracted.unpersist();
        }
    }

    private static Column sameFile(Dataset<Row> table) {
        return table.col(FeatureTable.ID).equalTo(col("k_id"))
                .and(table.col(FeatureTable.SIZE).equalTo(col("k_size")))
                .and(table.col(FeatureTable.MODIFICATION_TIME).equalTo(col("k_time")));
    }

    /**
     * The files under the input: {@code id, path, size, modification_time} rows, and their number when the file
     * index gave it (else -1).
     */
    private record Listing(Dataset<Row> rows, long count) {
    }

    /** The files of a file index: the zero-byte ones as rows, and how many files it lists in all. */
    private record IndexFiles(List<Row> empty, long count) {
    }

    /** Lists the files under the root (paths, sizes and times only: the bytes are read by the tasks). */
    private Listing listing(SparkSession spark, String root) {
        var reader = spark.read().format("binaryFile").option("recursiveFileLookup", "true");
        pathGlobFilter.ifPresent(glob -> reader.option("pathGlobFilter", glob));
        Dataset<Row> files = reader.load(root);
        Dataset<Row> statuses = files.select(col("path"), col("length"), col("modificationTime"));
        IndexFiles index = indexFiles(files);
        if (!index.empty().isEmpty()) {
            statuses = statuses.union(spark.createDataFrame(index.empty(), statuses.schema()));
        }
        Column id = root.startsWith("file:")
                ? expr("substring(path, " + (root.length() + 2) + ")")
                : col("path");
        return new Listing(statuses.select(id.as(FeatureTable.ID), col("path"), col("length").as(FeatureTable.SIZE),
                col("modificationTime").as(FeatureTable.MODIFICATION_TIME)), index.count());
    }

    /**
     * The zero-byte files of a {@code binaryFile} listing, as rows of its {@code path, length, modificationTime}, and
     * the number of files it lists (-1 if unknown). Spark's scan never hands an empty file to a task (its file index
     * lists only files longer than 0 bytes for a scan), so they are taken from the same index's complete listing,
     * which the driver already holds: no second listing of the storage, and only the empty files become rows. The
     * count comes from there too, instead of a Spark job that would ask the storage for every file's status again.
     */
    private static IndexFiles indexFiles(Dataset<Row> files) {
        List<Row> empty = new ArrayList<>();
        long count = 0;
        boolean found = false;
        for (LogicalPlan leaf : CollectionConverters.asJava(files.queryExecution().analyzed().collectLeaves())) {
            if (leaf instanceof LogicalRelation relation && relation.relation() instanceof HadoopFsRelation fs
                    && fs.location() instanceof PartitioningAwareFileIndex index) {
                found = true;
                for (FileStatus status : CollectionConverters.asJava(index.allFiles())) {
                    String name = status.getPath().getName();
                    if (!status.isFile() || name.startsWith("_") || name.startsWith(".")) {
                        continue; // what Spark's scan leaves out as not data
                    }
                    count++;
                    if (status.getLen() == 0) {
                        empty.add(RowFactory.create(status.getPath().toString(), 0L,
                                new Timestamp(status.getModificationTime())));
                    }
                }
            }
        }
        if (!found) {
            LOG.warn("this Spark's file listing is not a file index cnnkit knows: zero-byte files will be in "
                    + "neither the features nor the skipped table");
            return new IndexFiles(empty, -1);
        }
        return new IndexFiles(empty, count);
    }

    /** Builds the extractor on an executor (where it stays for the tasks) and brings its identity back. */
    private static ExtractorIdentity identityOnExecutor(SparkSession spark, Map<String, String> spec, String engine) {
        java.util.HashMap<String, String> copy = new java.util.HashMap<>(spec);
        List<String> fields = spark.range(0, 1, 1, 1).map(
                (org.apache.spark.api.java.function.MapFunction<Long, String>) ignored -> {
                    ExtractorIdentity identity = ExecutorExtractors.get(copy, engine).identity();
                    return String.join("\n", identity.model(), identity.weightsChecksum(),
                            identity.inputShape().height() + "x" + identity.inputShape().width() + "x"
                                    + identity.inputShape().channels(),
                            identity.preprocessing().name(), Integer.toString(identity.dimension()));
                }, Encoders.STRING()).collectAsList();
        String[] parts = fields.get(0).split("\n");
        String[] shape = parts[2].split("x");
        return new ExtractorIdentity(parts[0], parts[1], new org.cnnkit.core.image.InputShape(
                Integer.parseInt(shape[0]), Integer.parseInt(shape[1]), Integer.parseInt(shape[2])),
                org.cnnkit.core.image.Preprocessing.valueOf(parts[3]), Integer.parseInt(parts[4]));
    }

    /** Qualifies a path with its file system ({@code /data} becomes {@code file:/data}), without a trailing slash. */
    static String qualified(SparkSession spark, String location) {
        try {
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            String text = fs.makeQualified(path).toString();
            return text.endsWith("/") && text.length() > 1 ? text.substring(0, text.length() - 1) : text;
        } catch (IOException | IllegalArgumentException e) {
            throw new CnnkitException("cannot resolve the path " + location + ": " + e.getMessage(), e);
        }
    }

    /**
     * What a job did.
     *
     * @param listed the files found under the input
     * @param pending the files read and extracted this run (new or changed)
     * @param extracted the vectors extracted this run
     * @param newlySkipped the files found unreadable this run
     * @param carried the vectors carried over from the previous table
     * @param vectors the rows of the new features table
     * @param skipped the rows of the new skipped table
     * @param partitions the partitions the extraction ran in
     * @param loaded the entries written to the store (0 without one)
     * @param identity the extractor
     * @param elapsed the job's wall time
     */
    public record Report(long listed, long pending, long extracted, long newlySkipped, long carried, long vectors,
                         long skipped, int partitions, long loaded, ExtractorIdentity identity, Duration elapsed) {
    }

    /** Configures a {@link SparkFeatureJob}: {@code setX} required, {@code optX} optional. */
    public static final class Builder {

        private String input;
        private String output;
        private ExtractorSpec extractor;
        private InferenceEngine engine;
        private String previous;
        private String pathGlobFilter;
        private int partitions;
        private int filesPerGroup = 64;
        private long maxFileBytes = 256L << 20;
        private StoreSpec store;
        private Map<String, String> storeParameters = Map.of();
        private int failOncePartition = -1;
        private int failOnceStorePartition = -1;

        private Builder() {
        }

        /**
         * Sets the folder of images, searched recursively (any path Spark reads).
         *
         * @param input the path
         * @return this builder
         */
        public Builder setInput(String input) {
            this.input = Objects.requireNonNull(input, "input");
            return this;
        }

        /**
         * Sets the output folder, which gets the {@value FeatureTable#FEATURES} and {@value FeatureTable#SKIPPED}
         * tables (replacing them if they exist).
         *
         * @param output the path
         * @return this builder
         */
        public Builder setOutput(String output) {
            this.output = Objects.requireNonNull(output, "output");
            return this;
        }

        /**
         * Sets the extractor; a weights file in the spec is looked for at its path on each executor, then where
         * {@code spark-submit --files} put it.
         *
         * @param extractor the extractor spec
         * @return this builder
         */
        public Builder setExtractor(ExtractorSpec extractor) {
            this.extractor = Objects.requireNonNull(extractor, "extractor");
            return this;
        }

        /**
         * Sets the engine that runs the network (default: the fastest available on each executor).
         *
         * @param engine the engine
         * @return this builder
         */
        public Builder optEngine(InferenceEngine engine) {
            this.engine = engine;
            return this;
        }

        /**
         * Sets the output folder of an earlier run: files whose id, size and modification time are unchanged are
         * carried over from it instead of being extracted again.
         *
         * @param previous the earlier output folder (not the new output)
         * @return this builder
         */
        public Builder optPrevious(String previous) {
            this.previous = previous;
            return this;
        }

        /**
         * Sets a glob the file names must match, such as {@code *.{jpg,jpeg,png}} (default: every file).
         *
         * @param glob the glob
         * @return this builder
         */
        public Builder optPathGlobFilter(String glob) {
            this.pathGlobFilter = glob;
            return this;
        }

        /**
         * Sets the number of partitions of the extraction (default: one per 512 files to extract, at least the
         * cluster's default parallelism).
         *
         * @param partitions the number, at least 1
         * @return this builder
         */
        public Builder optPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
            }
            this.partitions = partitions;
            return this;
        }

        /**
         * Sets how many files a task reads and extracts at a time (default 64): the extractor decodes them in
         * batches, the next batch while the network runs.
         *
         * @param files the number, at least 1
         * @return this builder
         */
        public Builder optFilesPerGroup(int files) {
            if (files < 1) {
                throw new IllegalArgumentException("files per group must be at least 1, got " + files);
            }
            this.filesPerGroup = files;
            return this;
        }

        /**
         * Sets the largest file read (default 256 MiB); a larger one is recorded as skipped.
         *
         * @param bytes the limit, at least 1 and below 2 GiB
         * @return this builder
         */
        public Builder optMaxFileBytes(long bytes) {
            if (bytes < 1 || bytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the maximum file size must be in [1, 2 GiB), got " + bytes);
            }
            this.maxFileBytes = bytes;
            return this;
        }

        /**
         * Sets a store to load the features table into after it is written (by {@link StoreLoad}: idempotent puts
         * from every partition).
         *
         * @param store the store, created if it does not exist
         * @return this builder
         */
        public Builder optStore(StoreSpec store) {
            this.store = store;
            return this;
        }

        /**
         * Sets the store's parameters, as {@code --store-option K=V} gives them.
         *
         * @param parameters the parameters
         * @return this builder
         */
        public Builder optStoreParameters(Map<String, String> parameters) {
            this.storeParameters = Map.copyOf(parameters);
            return this;
        }

        /** Makes the first attempt of one extraction partition fail after its first group (tests of retries). */
        Builder optFailOncePartition(int partition) {
            this.failOncePartition = partition;
            return this;
        }

        /** Makes the first attempt of one store-load partition fail after its first write (tests of retries). */
        Builder optFailOnceStorePartition(int partition) {
            this.failOnceStorePartition = partition;
            return this;
        }

        /** {@return the job} */
        public SparkFeatureJob build() {
            return new SparkFeatureJob(this);
        }
    }
}
