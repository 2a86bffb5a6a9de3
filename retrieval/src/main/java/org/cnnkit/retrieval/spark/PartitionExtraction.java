package org.cnnkit.retrieval.spark;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.cnnkit.core.image.EncodedImage;
import org.cnnkit.retrieval.ExtractionResult;
import org.cnnkit.retrieval.FeatureExtractor;

/**
 * The work of one Spark task: reads its partition's files a group at a time, extracts their features with this JVM's
 * extractor ({@link ExecutorExtractors}) on the extractor's batched path, and streams out one row per file, with
 * either the vector or the reason the file was skipped. Only one group of files is in memory at a time.
 *
 * <p>Input rows: {@code id, path, size, modification_time}; output rows: {@link #OUTPUT}.
 */
final class PartitionExtraction implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    /** The rows this function makes: the features table's columns and a nullable reason (vector null then). */
    static final StructType OUTPUT = new StructType(new StructField[] {
            DataTypes.createStructField(FeatureTable.ID, DataTypes.StringType, false),
            DataTypes.createStructField(FeatureTable.SIZE, DataTypes.LongType, false),
            DataTypes.createStructField(FeatureTable.MODIFICATION_TIME, DataTypes.TimestampType, false),
            DataTypes.createStructField(FeatureTable.VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false),
                    true),
            DataTypes.createStructField(FeatureTable.REASON, DataTypes.StringType, true)});

    private final HashMap<String, String> extractorSpec;
    private final String engine;
    private final HadoopFiles files;
    private final int filesPerGroup;
    private final long maxFileBytes;
    private final int failOncePartition;

    /**
     * @param failOncePartition a partition whose first attempt fails after its first group (tests of retries), or -1
     */
    PartitionExtraction(Map<String, String> extractorSpec, String engine, HadoopFiles files, int filesPerGroup,
                        long maxFileBytes, int failOncePartition) {
        this.extractorSpec = new HashMap<>(extractorSpec);
        this.engine = engine;
        this.files = files;
        this.filesPerGroup = filesPerGroup;
        this.maxFileBytes = maxFileBytes;
        this.failOncePartition = failOncePartition;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        FeatureExtractor extractor = ExecutorExtractors.get(extractorSpec, engine);
        TaskContext task = TaskContext.get();
        boolean failAfterFirstGroup = task != null && task.partitionId() == failOncePartition
                && task.attemptNumber() == 0;
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;
            private int groups;

            @Override
            public boolean hasNext() {
                while (next == ready.size() && input.hasNext()) {
                    if (failAfterFirstGroup && groups == 1) {
                        throw new IllegalStateException("injected failure of partition " + failOncePartition
                                + ", attempt 0 (a test of task retries)");
                    }
                    ready.clear();
                    next = 0;
                    extractGroup(extractor, input, ready);
                    groups++;
                }
                return next < ready.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.get(next++);
            }
        };
    }

    private void extractGroup(FeatureExtractor extractor, Iterator<Row> input, List<Row> out) {
        List<Row> group = new ArrayList<>(filesPerGroup);
        while (group.size() < filesPerGroup && input.hasNext()) {
            group.add(input.next());
        }
        Map<Path, Row> byName = new HashMap<>();
        List<EncodedImage> images = new ArrayList<>(group.size());
        for (Row row : group) {
            String id = row.getString(0);
            long size = row.getLong(2);
            Timestamp modified = row.getTimestamp(3);
            try {
                byte[] content = files.read(row.getString(1), size, maxFileBytes);
                Path name = Path.of(id);
                images.add(new EncodedImage(name, content));
                byName.put(name, row);
            } catch (IOException | RuntimeException e) {
                out.add(RowFactory.create(id, size, modified, null, "cannot read the file: " + e.getMessage()));
            }
        }
        ExtractionResult result = extractor.extractEncoded(images);
        for (int i = 0; i < result.files().size(); i++) {
            Row row = byName.get(result.files().get(i));
            out.add(RowFactory.create(row.getString(0), row.getLong(2), row.getTimestamp(3), result.vectors()[i],
                    null));
        }
        for (ExtractionResult.SkippedFile skipped : result.skipped()) {
            Row row = byName.get(skipped.path());
            out.add(RowFactory.create(row.getString(0), row.getLong(2), row.getTimestamp(3), null,
                    skipped.reason()));
        }
    }
}
