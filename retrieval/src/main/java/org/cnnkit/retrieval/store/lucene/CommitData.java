package org.cnnkit.retrieval.store.lucene;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.retrieval.ExtractorIdentity;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreSchema;

/**
 * What the lucene store keeps in each Lucene commit's user data, so that it changes atomically with the vectors:
 * the format version, the schema and the fitted search pipeline (absent until the first vectors came).
 *
 * <pre>
 * cnnkit.format    "1"
 * cnnkit.schema    base64 of: int dimension, UTF metric, int steps, [UTF kind, int dimensions, double share]*,
 *                  boolean has-identity [UTF model, UTF checksum, int h, int w, int c, UTF preprocessing, int dim],
 *                  int properties, [UTF key, UTF value]*
 * cnnkit.pipeline  base64 of {@link SearchPipeline#toBytes()} (absent before the first vectors)
 * </pre>
 *
 * @param schema the store's schema
 * @param pipeline the fitted pipeline, or empty before the first vectors
 */
record CommitData(StoreSchema schema, Optional<SearchPipeline> pipeline) {

    /** The version of this layout (and of the documents' fields). */
    static final int FORMAT_VERSION = 1;

    private static final String FORMAT = "cnnkit.format";
    private static final String SCHEMA = "cnnkit.schema";
    private static final String PIPELINE = "cnnkit.pipeline";

    /** Returns the user data to commit. */
    Map<String, String> toUserData() {
        Map<String, String> data = new HashMap<>();
        data.put(FORMAT, Integer.toString(FORMAT_VERSION));
        data.put(SCHEMA, Base64.getEncoder().encodeToString(schemaBytes(schema)));
        pipeline.ifPresent(p -> data.put(PIPELINE, Base64.getEncoder().encodeToString(p.toBytes())));
        return data;
    }

    /**
     * Reads a commit's user data.
     *
     * @param data the user data
     * @param where the store, for messages
     * @return the schema and pipeline
     * @throws CnnkitException if the data is not a cnnkit store's, is of a newer format, or is damaged
     */
    static CommitData fromUserData(Map<String, String> data, String where) {
        String format = data.get(FORMAT);
        if (format == null || data.get(SCHEMA) == null) {
            throw new CnnkitException(where + " is a Lucene index but not a cnnkit store (its commit has no "
                    + FORMAT + " and " + SCHEMA + ")");
        }
        if (!format.equals(Integer.toString(FORMAT_VERSION))) {
            throw new CnnkitException(where + " is a cnnkit lucene store of format " + format + "; this version of "
                    + "cnnkit reads format " + FORMAT_VERSION);
        }
        try {
            StoreSchema schema = readSchema(Base64.getDecoder().decode(data.get(SCHEMA)));
            String pipeline = data.get(PIPELINE);
            return new CommitData(schema, pipeline == null ? Optional.empty()
                    : Optional.of(SearchPipeline.fromBytes(Base64.getDecoder().decode(pipeline), schema.dimension())));
        } catch (IOException | IllegalArgumentException e) {
            throw new CnnkitException(where + ": the stored schema cannot be read: " + e.getMessage(), e);
        }
    }

    private static byte[] schemaBytes(StoreSchema schema) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(schema.dimension());
            out.writeUTF(schema.metric().name());
            out.writeInt(schema.transforms().size());
            for (VectorTransform step : schema.transforms()) {
                out.writeUTF(step.kind().name());
                out.writeInt(step.dimensions());
                out.writeDouble(step.varianceFraction());
            }
            out.writeBoolean(schema.identity().isPresent());
            if (schema.identity().isPresent()) {
                ExtractorIdentity id = schema.identity().get();
                out.writeUTF(id.model());
                out.writeUTF(id.weightsChecksum());
                out.writeInt(id.inputShape().height());
                out.writeInt(id.inputShape().width());
                out.writeInt(id.inputShape().channels());
                out.writeUTF(id.preprocessing().name());
                out.writeInt(id.dimension());
            }
            out.writeInt(schema.properties().size());
            for (Map.Entry<String, String> e : new TreeMap<>(schema.properties()).entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static StoreSchema readSchema(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int dimension = in.readInt();
        Metric metric = Metric.valueOf(in.readUTF());
        int steps = in.readInt();
        List<VectorTransform> transforms = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            transforms.add(new VectorTransform(VectorTransform.Kind.valueOf(in.readUTF()), in.readInt(),
                    in.readDouble()));
        }
        Optional<ExtractorIdentity> identity = Optional.empty();
        if (in.readBoolean()) {
            identity = Optional.of(new ExtractorIdentity(in.readUTF(), in.readUTF(),
                    new InputShape(in.readInt(), in.readInt(), in.readInt()),
                    Preprocessing.valueOf(in.readUTF()), in.readInt()));
        }
        int count = in.readInt();
        Map<String, String> properties = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            properties.put(in.readUTF(), in.readUTF());
        }
        return new StoreSchema(dimension, metric, transforms, identity, properties);
    }
}
