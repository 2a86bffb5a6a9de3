package org.cnnkit.retrieval.spark;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.ExtractorSpec;

/**
 * The layout of the Parquet tables the {@link SparkFeatureJob} writes, and what their metadata says.
 *
 * <p>A job's output folder holds two tables: {@value #FEATURES} (one row per image: {@value #ID}, {@value #SIZE},
 * {@value #MODIFICATION_TIME}, {@value #VECTOR}) and {@value #SKIPPED} (one row per unreadable file: {@value #ID},
 * {@value #SIZE}, {@value #MODIFICATION_TIME}, {@value #REASON}). The id is the file's path relative to the job's
 * input root for a local ({@code file:}) input, its full URI otherwise. The {@value #VECTOR} column's metadata, which
 * Spark keeps in every Parquet file's footer, records the table's format version ({@value #FORMAT_VERSION}), the
 * extractor's identity and spec, and the input root.
 *
 * @param formatVersion the table's format version
 * @param identity the extractor that made the vectors
 * @param extractorProperties the extractor's spec as {@link ExtractorSpec#toProperties()} wrote it
 * @param root the qualified input root, such as {@code file:/data/photos} or {@code hdfs://nn/photos}
 */
public record FeatureTable(int formatVersion, ExtractorIdentity identity, Map<String, String> extractorProperties,
                           String root) {

    /** The current format version. */
    public static final int FORMAT_VERSION = 1;
    /** The folder of the features table inside a job's output. */
    public static final String FEATURES = "features";
    /** The folder of the skipped-files table inside a job's output. */
    public static final String SKIPPED = "skipped";
    /** The image's id column. */
    public static final String ID = "id";
    /** The file size column, in bytes. */
    public static final String SIZE = "size";
    /** The file modification time column (a timestamp). */
    public static final String MODIFICATION_TIME = "modification_time";
    /** The feature vector column (an array of floats). */
    public static final String VECTOR = "vector";
    /** The skipped table's reason column. */
    public static final String REASON = "reason";

    private static final String PREFIX = "cnnkit.";
    private static final String VERSION_KEY = PREFIX + "format_version";
    private static final String MODEL = PREFIX + "identity.model";
    private static final String CHECKSUM = PREFIX + "identity.weights_sha256";
    private static final String INPUT = PREFIX + "identity.input";
    private static final String PREPROCESSING = PREFIX + "identity.preprocessing";
    private static final String DIMENSION = PREFIX + "identity.dimension";
    private static final String ROOT = PREFIX + "root";

    /**
     * Copies the properties.
     *
     * @param formatVersion the table's format version
     * @param identity the extractor that made the vectors
     * @param extractorProperties the extractor's spec as {@link ExtractorSpec#toProperties()} wrote it
     * @param root the qualified input root
     */
    public FeatureTable {
        extractorProperties = Map.copyOf(extractorProperties);
    }

    /** {@return the extractor spec the table records, if any} */
    public Optional<ExtractorSpec> extractorSpec() {
        return ExtractorSpec.fromProperties(extractorProperties);
    }

    /** {@return the schema of the features table, the metadata on the vector column} */
    StructType featuresSchema() {
        return new StructType(new StructField[] {
                DataTypes.createStructField(ID, DataTypes.StringType, false),
                DataTypes.createStructField(SIZE, DataTypes.LongType, false),
                DataTypes.createStructField(MODIFICATION_TIME, DataTypes.TimestampType, false),
                new StructField(VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false, metadata())});
    }

    /** {@return the metadata written on the vector column} */
    Metadata metadata() {
        MetadataBuilder builder = new MetadataBuilder().putLong(VERSION_KEY, formatVersion)
                .putString(MODEL, identity.model()).putString(CHECKSUM, identity.weightsChecksum())
                .putString(INPUT, identity.inputShape().toString())
                .putString(PREPROCESSING, identity.preprocessing().name())
                .putLong(DIMENSION, identity.dimension()).putString(ROOT, root);
        extractorProperties.forEach((key, value) -> builder.putString(PREFIX + key, value));
        return builder.build();
    }

    /**
     * Reads what a features table's schema records.
     *
     * @param schema the schema of a features table (from {@code spark.read().parquet(...).schema()})
     * @param where the table's location, for error messages
     * @return the table's description
     * @throws CnnkitException if the schema is not a cnnkit features table, or of a newer format version
     */
    public static FeatureTable of(StructType schema, String where) {
        if (!Arrays.asList(schema.fieldNames()).contains(VECTOR)) {
            throw new CnnkitException("the table " + where + " is not a cnnkit features table: it has no '" + VECTOR
                    + "' column (columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        Metadata metadata = schema.apply(VECTOR).metadata();
        if (!metadata.contains(VERSION_KEY)) {
            throw new CnnkitException("the table " + where + " has no cnnkit metadata on its '" + VECTOR
                    + "' column: it was not written by cnnkit's Spark job");
        }
        long version = metadata.getLong(VERSION_KEY);
        if (version > FORMAT_VERSION) {
            throw new CnnkitException("the table " + where + " has format version " + version + "; this cnnkit reads "
                    + "up to " + FORMAT_VERSION + ": upgrade cnnkit");
        }
        try {
            String[] input = metadata.getString(INPUT).split("x");
            ExtractorIdentity identity = new ExtractorIdentity(metadata.getString(MODEL), metadata.getString(CHECKSUM),
                    new InputShape(Integer.parseInt(input[0]), Integer.parseInt(input[1]),
                            Integer.parseInt(input[2])),
                    Preprocessing.valueOf(metadata.getString(PREPROCESSING)),
                    Math.toIntExact(metadata.getLong(DIMENSION)));
            Map<String, String> properties = new LinkedHashMap<>();
            for (String key : new String[] {"extractor.kind", "extractor.alpha", "extractor.weights",
                    "extractor.image_size"}) {
                if (metadata.contains(PREFIX + key)) {
                    properties.put(key, metadata.getString(PREFIX + key));
                }
            }
            return new FeatureTable((int) version, identity, properties, metadata.getString(ROOT));
        } catch (RuntimeException e) {
            throw new CnnkitException("the table " + where + " has damaged cnnkit metadata: " + e.getMessage(), e);
        }
    }
}
