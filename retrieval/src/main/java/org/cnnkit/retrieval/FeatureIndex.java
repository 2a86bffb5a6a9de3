package org.cnnkit.retrieval;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;
import org.cnnkit.core.CnnkitException;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * An exact nearest-neighbour index of feature vectors, each stored under a unique id, searchable by
 * Euclidean or cosine distance and saved to one checksummed file.
 *
 * <h2>Search</h2>
 * A search compares the queries with every stored vector, as matrix products over chunks of the collection
 * ({@code ||x||^2 - 2 q.x}, with the {@code ||x||^2} cached), keeps the best candidates per query without
 * sorting the collection, then measures the candidates' distances exactly. Reported distances are true
 * distances: {@code ||q - x||} (not squared) for {@link Metric#EUCLIDEAN}, {@code 1 - cos(q, x)} for
 * {@link Metric#COSINE}, measured after the index's transforms. Matches come nearest first; equal distances
 * keep insertion order.
 *
 * <h2>Transforms</h2>
 * An index may carry a pipeline of {@link VectorTransform} steps (L2 normalisation, centering, PCA with or
 * without whitening). Stored vectors are kept as added; steps that learn from data are fitted on the whole
 * collection by {@link #fit()} (automatically at the first search if it was never called), and later
 * additions and all queries go through the same fitted pipeline. Call {@link #fit()} again to refit after
 * the collection changed a lot. The fitted parameters are saved with the index.
 *
 * <h2>Ids</h2>
 * Ids are unique: {@link #add} rejects an id that is already present (remove it first to replace a vector).
 * Each entry may carry a stamp, an opaque string of the caller's (for example a file's size and modification
 * time), saved with the index.
 *
 * <h2>Threads</h2>
 * Safe for many threads: searches run in parallel with each other and see a consistent state (never a
 * half-added batch); {@link #add}, {@link #remove} and {@link #fit()} wait for running searches and block
 * new ones while they change the index; {@link #save} runs alongside searches.
 */
public final class FeatureIndex {

    /** Rows of the collection transformed at once when the search space is (re)built; bounds temporary memory. */
    private static final int SEARCH_CHUNK_ROWS = 16_384;
    /** Extra candidates kept per query beyond k, re-ranked by exact distance. */
    private static final int EXTRA_CANDIDATES = 8;
    private static final int MIN_CAPACITY = 64;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final ExactScan scan = new ExactScan();
    private final int dimension;
    private final Metric metric;
    private final ExtractorIdentity identity;
    private final List<VectorTransform> transforms;
    private final boolean needsFitting;

    // Guarded by lock.
    private FittedPipeline pipeline;
    private INDArray raw;
    private INDArray space;
    // Squared norms of the search-space rows, one per row of capacity (Euclidean only, else null): kept on the heap
    // so that a search reads them as they are, without a copy per query.
    private float[] squaredNorms;
    private int size;
    private final List<String> ids = new ArrayList<>();
    private final List<String> stamps = new ArrayList<>();
    private final Map<String, Integer> rowOf = new HashMap<>();
    private final Map<String, String> properties = new java.util.TreeMap<>();

    private FeatureIndex(Builder builder) {
        this.dimension = builder.dimension;
        this.metric = builder.metric;
        this.identity = builder.identity;
        this.transforms = List.copyOf(builder.transforms);
        this.needsFitting = transforms.stream().anyMatch(VectorTransform::needsFitting);
        this.pipeline = needsFitting ? null : FittedPipeline.stateless(transforms, dimension);
        this.raw = Nd4j.create(DataType.FLOAT, Math.max(MIN_CAPACITY, builder.initialCapacity), dimension);
        this.size = 0;
        if (pipeline != null) {
            allocateSpace(raw.rows());
        }
    }

    /** {@return a builder for an empty index} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens an index saved by {@link #save}, checking its magic, format version, length and checksum first.
     *
     * @param path the index file
     * @return the index, with its vectors, ids, stamps, settings and fitted transforms
     * @throws IndexFileException if the file is missing, unreadable, not an index, truncated, damaged
     *     (checksum mismatch) or from a newer format version; the message names the path and the problem
     */
    public static FeatureIndex open(Path path) {
        return IndexFormat.read(path);
    }

    /**
     * Writes the index to one file atomically: to a temporary file in the same folder, forced to disk, then
     * moved over {@code path}. If anything fails, the previous file at {@code path} is left as it was.
     *
     * @param path where to save
     * @throws IndexFileException if the file cannot be written
     */
    public void save(Path path) {
        save(path, UnaryOperator.identity());
    }

    /** As {@link #save(Path)}, with the byte stream wrapped (lets tests inject failures). */
    void save(Path path, UnaryOperator<OutputStream> streamWrapper) {
        lock.readLock().lock();
        try {
            IndexFormat.write(path, this, streamWrapper);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@return the length of the vectors this index stores (before transforms)} */
    public int dimension() {
        return dimension;
    }

    /** {@return the distance this index measures} */
    public Metric metric() {
        return metric;
    }

    /** {@return the identity of the extractor whose vectors this index holds, if one was recorded} */
    public Optional<ExtractorIdentity> identity() {
        return Optional.ofNullable(identity);
    }

    /** {@return the transform steps applied before distances are measured, in order (empty for none)} */
    public List<VectorTransform> transforms() {
        return transforms;
    }

    /** {@return the number of stored vectors} */
    public int size() {
        lock.readLock().lock();
        try {
            return size;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Returns whether an id is stored.
     *
     * @param id the id
     * @return true if present
     */
    public boolean contains(String id) {
        lock.readLock().lock();
        try {
            return rowOf.containsKey(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@return a snapshot of the stored ids, in storage order (which changes when entries are removed)} */
    public List<String> ids() {
        lock.readLock().lock();
        try {
            return List.copyOf(ids);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Returns the stamp stored with an id.
     *
     * @param id the id
     * @return the stamp, or empty when the id is absent or was added without one
     */
    public Optional<String> stamp(String id) {
        lock.readLock().lock();
        try {
            Integer row = rowOf.get(id);
            return row == null ? Optional.empty() : Optional.ofNullable(stamps.get(row));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Returns a copy of the vector stored under an id, as it was added (before transforms).
     *
     * @param id the id
     * @return the vector, or empty when the id is absent
     */
    public Optional<float[]> vector(String id) {
        lock.readLock().lock();
        try {
            Integer row = rowOf.get(id);
            return row == null ? Optional.empty() : Optional.of(raw.getRow(row).toFloatVector());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Records a property of the index as a whole, saved with it (for example where the extractor's weights
     * came from, or the folder that was indexed).
     *
     * @param key a non-empty key
     * @param value the value; null removes the key
     */
    public void setProperty(String key, String value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("property key must not be empty");
        }
        lock.writeLock().lock();
        try {
            if (value == null) {
                properties.remove(key);
            } else {
                properties.put(key, value);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** {@return a snapshot of the index's properties, sorted by key} */
    public Map<String, String> properties() {
        lock.readLock().lock();
        try {
            return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(properties));
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Checks that vectors from an extractor may be added to or searched in this index.
     *
     * @param other the identity of the extractor about to be used
     * @throws CnnkitException if this index recorded a different extractor identity
     */
    public void requireCompatible(ExtractorIdentity other) {
        Objects.requireNonNull(other, "other");
        if (identity != null && !identity.equals(other)) {
            throw new CnnkitException("index was built with extractor [" + identity.describe()
                    + "] but the vectors come from [" + other.describe() + "]: rebuild the index or use the same extractor");
        }
        if (identity == null && other.dimension() != dimension) {
            throw new CnnkitException("index holds " + dimension + "-d vectors but extractor ["
                    + other.describe() + "] gives " + other.dimension() + "-d vectors");
        }
    }

    /**
     * Adds one vector.
     *
     * @param id a unique, non-empty id
     * @param vector the vector, {@link #dimension()} finite values
     * @throws CnnkitException if the id is already present, the dimension is wrong, a value is NaN or infinite,
     *     or (for {@link Metric#COSINE}) the vector is zero
     */
    public void add(String id, float[] vector) {
        add(id, vector, null);
    }

    /**
     * Adds one vector with a stamp.
     *
     * @param id a unique, non-empty id
     * @param vector the vector, {@link #dimension()} finite values
     * @param stamp an opaque string saved with the entry, or null
     * @throws CnnkitException as {@link #add(String, float[])}
     */
    public void add(String id, float[] vector, String stamp) {
        addAll(List.of(id), new float[][] {vector}, stamp == null ? null : List.of(stamp));
    }

    /**
     * Adds several vectors at once: all of them, or none if one is invalid.
     *
     * @param newIds unique, non-empty ids, one per vector
     * @param vectors the vectors, each {@link #dimension()} finite values
     * @param newStamps one stamp per vector (entries may be null), or null for none
     * @throws CnnkitException if an id is present already or twice in {@code newIds}, a dimension is wrong,
     *     a value is NaN or infinite, a cosine vector is zero, or the list sizes differ
     */
    public void addAll(List<String> newIds, float[][] vectors, List<String> newStamps) {
        Objects.requireNonNull(newIds, "ids");
        Objects.requireNonNull(vectors, "vectors");
        if (newIds.size() != vectors.length || (newStamps != null && newStamps.size() != vectors.length)) {
            throw new CnnkitException("addAll needs one id" + (newStamps != null ? " and one stamp" : "")
                    + " per vector: " + newIds.size() + " ids, " + vectors.length + " vectors"
                    + (newStamps != null ? ", " + newStamps.size() + " stamps" : ""));
        }
        float[] flat = new float[Math.multiplyExact(vectors.length, dimension)];
        for (int i = 0; i < vectors.length; i++) {
            if (vectors[i] == null || vectors[i].length != dimension) {
                checkVector(vectors[i], "vector '" + newIds.get(i) + "'");
            }
            System.arraycopy(vectors[i], 0, flat, i * dimension, dimension);
        }
        addChecked(newIds, flat, newStamps);
    }

    /**
     * Adds the rows of a matrix at once: all of them, or none if one is invalid. The fastest way to fill a
     * large index.
     *
     * @param newIds unique, non-empty ids, one per row
     * @param rows {@code [n, dimension]} finite values; not modified
     * @param newStamps one stamp per row (entries may be null), or null for none
     * @throws CnnkitException as {@link #addAll(List, float[][], List)}, or if the shape is wrong
     */
    public void addAll(List<String> newIds, INDArray rows, List<String> newStamps) {
        Objects.requireNonNull(rows, "rows");
        if (rows.rank() != 2 || rows.columns() != dimension) {
            throw new CnnkitException("rows must be a [n, " + dimension + "] matrix, got shape "
                    + Arrays.toString(rows.shape()));
        }
        if (newIds.size() != rows.rows()) {
            throw new CnnkitException("addAll needs one id per row: " + newIds.size() + " ids, " + rows.rows() + " rows");
        }
        addChecked(newIds, rows.castTo(DataType.FLOAT).dup('c').data().asFloat(), newStamps);
    }

    private void addChecked(List<String> newIds, float[] flat, List<String> newStamps) {
        int count = newIds.size();
        if (newStamps != null && newStamps.size() != count) {
            throw new CnnkitException("addAll needs one stamp per vector: " + count + " ids, "
                    + newStamps.size() + " stamps");
        }
        Set<String> batch = new HashSet<>();
        float[] one = new float[dimension];
        for (int i = 0; i < count; i++) {
            String id = newIds.get(i);
            if (id == null || id.isEmpty()) {
                throw new CnnkitException("vector " + i + " of the batch has an empty id");
            }
            if (!batch.add(id)) {
                throw new CnnkitException("id '" + id + "' appears twice in one batch");
            }
            System.arraycopy(flat, i * dimension, one, 0, dimension);
            checkVector(one, "vector '" + id + "'");
        }
        if (count == 0) {
            return;
        }
        INDArray rows = Nd4j.createFromArray(flat).reshape(count, dimension);
        lock.writeLock().lock();
        try {
            for (String id : newIds) {
                if (rowOf.containsKey(id)) {
                    throw new CnnkitException("id '" + id + "' is already in the index: remove it first to replace its vector");
                }
            }
            ensureCapacity(size + count);
            int start = size;
            raw.get(NDArrayIndex.interval(start, start + count), NDArrayIndex.all()).assign(rows);
            for (int i = 0; i < count; i++) {
                ids.add(newIds.get(i));
                stamps.add(newStamps == null ? null : newStamps.get(i));
                rowOf.put(newIds.get(i), start + i);
            }
            size += count;
            if (pipeline != null) {
                fillSpace(start, size);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Removes the vector stored under an id.
     *
     * @param id the id
     * @return true if it was present
     */
    public boolean remove(String id) {
        lock.writeLock().lock();
        try {
            Integer row = rowOf.remove(id);
            if (row == null) {
                return false;
            }
            int last = size - 1;
            if (row != last) {
                raw.getRow(row).assign(raw.getRow(last));
                if (space != null && space != raw) {
                    space.getRow(row).assign(space.getRow(last));
                }
                if (squaredNorms != null) {
                    squaredNorms[row] = squaredNorms[last];
                }
                String moved = ids.get(last);
                ids.set(row, moved);
                stamps.set(row, stamps.get(last));
                rowOf.put(moved, row);
            }
            ids.remove(last);
            stamps.remove(last);
            size = last;
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Fits the transform steps on the current collection and re-transforms every stored vector. Does nothing
     * for an index without steps that learn from data.
     *
     * @throws CnnkitException if the index needs fitting and is empty
     */
    public void fit() {
        if (!needsFitting) {
            return;
        }
        lock.writeLock().lock();
        try {
            fitLocked();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Returns the fitted transform pipeline that queries and stored vectors go through.
     *
     * @return the pipeline, or empty while steps that learn from data are not fitted yet
     */
    public Optional<SearchPipeline> searchPipeline() {
        lock.readLock().lock();
        try {
            return pipeline == null ? Optional.empty() : Optional.of(SearchPipeline.of(pipeline));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@return whether the transforms are fitted (always true for an index without steps that learn)} */
    public boolean isFitted() {
        lock.readLock().lock();
        try {
            return pipeline != null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Finds the k stored vectors nearest to one query.
     *
     * @param query {@link #dimension()} finite values
     * @param k how many matches, at least 1 (fewer come back when the index holds fewer)
     * @return the matches, nearest first
     * @throws CnnkitException if the query has the wrong dimension or a NaN or infinite value, or k is below 1
     */
    public List<Match> search(float[] query, int k) {
        return search(new float[][] {query}, k).get(0);
    }

    /**
     * Finds the k stored vectors nearest to each of several queries, in one pass over the collection.
     *
     * @param queries the queries, each {@link #dimension()} finite values
     * @param k how many matches per query, at least 1
     * @return one list of matches per query, in query order, each nearest first
     * @throws CnnkitException if a query has the wrong dimension or a NaN or infinite value, or k is below 1
     */
    public List<List<Match>> search(float[][] queries, int k) {
        Objects.requireNonNull(queries, "queries");
        float[] flat = new float[Math.multiplyExact(queries.length, dimension)];
        for (int i = 0; i < queries.length; i++) {
            checkVector(queries[i], "query " + i);
            System.arraycopy(queries[i], 0, flat, i * dimension, dimension);
        }
        if (queries.length == 0) {
            checkK(k);
            return List.of();
        }
        return searchChecked(Nd4j.createFromArray(flat).reshape(queries.length, dimension), k);
    }

    /**
     * Finds the k stored vectors nearest to each row of a matrix of queries, in one pass over the collection.
     *
     * @param queries {@code [q, dimension]} float or double values, all finite; not modified
     * @param k how many matches per query, at least 1
     * @return one list of matches per query row, each nearest first
     * @throws CnnkitException if the shape is wrong, a value is NaN or infinite, or k is below 1
     */
    public List<List<Match>> search(INDArray queries, int k) {
        Objects.requireNonNull(queries, "queries");
        if (queries.rank() != 2 || queries.columns() != dimension) {
            throw new CnnkitException("queries must be a [q, " + dimension + "] matrix, got shape "
                    + Arrays.toString(queries.shape()));
        }
        INDArray q = queries.castTo(DataType.FLOAT).dup('c');
        float[] values = q.data().asFloat();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new CnnkitException("query " + (i / dimension) + " has a non-finite value (" + values[i]
                        + ") at position " + (i % dimension));
            }
        }
        if (q.rows() == 0) {
            checkK(k);
            return List.of();
        }
        return searchChecked(q, k);
    }

    private List<List<Match>> searchChecked(INDArray queries, int k) {
        checkK(k);
        lock.readLock().lock();
        try {
            if (pipeline == null) {
                lock.readLock().unlock();
                lock.writeLock().lock();
                try {
                    if (pipeline == null && size > 0) {
                        fitLocked();
                    }
                } finally {
                    lock.readLock().lock();
                    lock.writeLock().unlock();
                }
            }
            int q = (int) queries.rows();
            if (size == 0) {
                List<List<Match>> empty = new ArrayList<>();
                for (int i = 0; i < q; i++) {
                    empty.add(List.of());
                }
                return empty;
            }
            return searchLocked(toSpace(queries), k);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Finds the k stored vectors nearest to each of several vectors that are already in the search space (after the
     * fitted transforms, unit length under cosine), such as an expanded query made from {@link #spaceVector} values.
     *
     * @param vectors {@link #searchDimension()} finite values each
     * @param k how many matches per vector, at least 1
     * @return one list of matches per vector, each nearest first
     * @throws CnnkitException if a vector has the wrong dimension or a non-finite value, or k is below 1
     */
    public List<List<Match>> searchInSpace(float[][] vectors, int k) {
        Objects.requireNonNull(vectors, "vectors");
        checkK(k);
        lock.readLock().lock();
        try {
            if (size == 0 || vectors.length == 0) {
                List<List<Match>> empty = new ArrayList<>();
                for (int i = 0; i < vectors.length; i++) {
                    empty.add(List.of());
                }
                return empty;
            }
            if (pipeline == null) {
                throw new CnnkitException("the index's transforms " + transforms + " are not fitted yet: fit() first");
            }
            int columns = (int) space.columns();
            float[] flat = new float[Math.multiplyExact(vectors.length, columns)];
            for (int i = 0; i < vectors.length; i++) {
                if (vectors[i].length != columns) {
                    throw new CnnkitException("search-space vector " + i + " has " + vectors[i].length
                            + " values, the search space has " + columns);
                }
                for (int j = 0; j < columns; j++) {
                    if (!Float.isFinite(vectors[i][j])) {
                        throw new CnnkitException("search-space vector " + i + " has a non-finite value at " + j);
                    }
                }
                System.arraycopy(vectors[i], 0, flat, i * columns, columns);
            }
            return searchLocked(Nd4j.createFromArray(flat).reshape(vectors.length, columns), k);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Returns a copy of an entry's vector in the search space: after the fitted transforms (and at unit length under
     * cosine), as searches compare it.
     *
     * @param id the id
     * @return the vector, or empty when the id is absent or the transforms are not fitted yet
     */
    public Optional<float[]> spaceVector(String id) {
        lock.readLock().lock();
        try {
            Integer row = rowOf.get(id);
            if (row == null || pipeline == null) {
                return Optional.empty();
            }
            // One bulk copy of the row: an ND4J row view costs more than the copy itself (query expansion reads
            // up to a hundred rows per query).
            return Optional.of(space.data().getFloatsAt(space.offset() + row * space.stride(0), (int) space.columns()));
        } finally {
            lock.readLock().unlock();
        }
    }

    private List<List<Match>> searchLocked(INDArray queries, int k) {
        int q = (int) queries.rows();
        int candidates = Math.min(size, k + Math.min(k, EXTRA_CANDIDATES));
        boolean euclidean = metric == Metric.EUCLIDEAN;
        // The norms array is longer than size (its capacity); the scan reads only the first size values.
        float[] norms = euclidean ? squaredNorms : null;
        TopSelection[] selections = scan.scan(queries, space, size, norms, euclidean ? -2.0 : -1.0, candidates);
        // One bulk copy of the queries and one per candidate row: ND4J row views cost more than the copy itself.
        float[] all = queries.data().asFloat();
        int columns = (int) queries.columns();
        List<List<Match>> results = new ArrayList<>(q);
        for (int i = 0; i < q; i++) {
            results.add(exactMatches(all, i * columns, selections[i], k));
        }
        return results;
    }

    private List<Match> exactMatches(float[] queries, int queryOffset, TopSelection selection, int k) {
        int count = selection.count();
        int[] rows = Arrays.copyOf(selection.rows(), count);
        double[] distances = new double[count];
        DataBuffer stored = space.data();
        int columns = (int) space.columns();
        for (int c = 0; c < count; c++) {
            float[] x = stored.getFloatsAt(space.offset() + rows[c] * space.stride(0), columns);
            double value = 0;
            if (metric == Metric.EUCLIDEAN) {
                for (int j = 0; j < x.length; j++) {
                    double diff = (double) queries[queryOffset + j] - x[j];
                    value += diff * diff;
                }
                distances[c] = Math.sqrt(value);
            } else {
                for (int j = 0; j < x.length; j++) {
                    value += (double) queries[queryOffset + j] * x[j];
                }
                distances[c] = Math.max(0.0, 1.0 - value);
            }
        }
        Integer[] order = new Integer[count];
        for (int c = 0; c < count; c++) {
            order[c] = c;
        }
        Arrays.sort(order, (a, b) -> {
            int byDistance = Double.compare(distances[a], distances[b]);
            return byDistance != 0 ? byDistance : Integer.compare(rows[a], rows[b]);
        });
        List<Match> matches = new ArrayList<>(Math.min(k, count));
        for (int c = 0; c < Math.min(k, count); c++) {
            int idx = order[c];
            matches.add(new Match(ids.get(rows[idx]), (float) distances[idx]));
        }
        return List.copyOf(matches);
    }

    /** Transforms query rows into the search space (pipeline, then unit length for cosine). */
    private INDArray toSpace(INDArray rows) {
        INDArray out = pipeline.apply(rows);
        if (metric == Metric.COSINE) {
            INDArray norms = out.norm2(1).reshape(out.rows(), 1).addi(1e-12f);
            out = out.divColumnVector(norms);
        }
        return out.castTo(DataType.FLOAT).dup('c');
    }

    private void fitLocked() {
        if (size == 0) {
            throw new CnnkitException("cannot fit transforms " + transforms + " on an empty index: add vectors first");
        }
        pipeline = FittedPipeline.fit(transforms, raw.get(NDArrayIndex.interval(0, size), NDArrayIndex.all()));
        allocateSpace(raw.rows());
        fillSpace(0, size);
    }

    private boolean spaceIsRaw() {
        return pipeline.isIdentity() && metric == Metric.EUCLIDEAN;
    }

    private void allocateSpace(long capacity) {
        space = spaceIsRaw() ? raw : Nd4j.create(DataType.FLOAT, capacity, pipeline.outputDimension());
        squaredNorms = metric == Metric.EUCLIDEAN ? new float[Math.toIntExact(capacity)] : null;
    }

    /** Computes the search-space rows and their squared norms for rows [from, to) of the raw buffer. */
    private void fillSpace(int from, int to) {
        for (int start = from; start < to; start += SEARCH_CHUNK_ROWS) {
            int end = Math.min(to, start + SEARCH_CHUNK_ROWS);
            INDArray rows = raw.get(NDArrayIndex.interval(start, end), NDArrayIndex.all());
            INDArray transformed = rows;
            if (space != raw) {
                transformed = toSpace(rows);
                space.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).assign(transformed);
            }
            if (squaredNorms != null) {
                float[] norms = transformed.mul(transformed).sum(1).castTo(DataType.FLOAT).toFloatVector();
                System.arraycopy(norms, 0, squaredNorms, start, end - start);
            }
        }
    }

    private void ensureCapacity(int needed) {
        long capacity = raw.rows();
        if (needed <= capacity) {
            return;
        }
        long grown = Math.max(needed, capacity + (capacity >> 1));
        INDArray bigger = Nd4j.create(DataType.FLOAT, grown, dimension);
        if (size > 0) {
            bigger.get(NDArrayIndex.interval(0, size), NDArrayIndex.all())
                    .assign(raw.get(NDArrayIndex.interval(0, size), NDArrayIndex.all()));
        }
        INDArray oldSpace = space;
        boolean shared = oldSpace == raw;
        raw = bigger;
        if (pipeline == null) {
            return;
        }
        if (shared) {
            space = raw;
        } else {
            space = Nd4j.create(DataType.FLOAT, grown, pipeline.outputDimension());
            if (size > 0) {
                space.get(NDArrayIndex.interval(0, size), NDArrayIndex.all())
                        .assign(oldSpace.get(NDArrayIndex.interval(0, size), NDArrayIndex.all()));
            }
        }
        if (squaredNorms != null) {
            squaredNorms = Arrays.copyOf(squaredNorms, Math.toIntExact(grown));
        }
    }

    private void checkVector(float[] vector, String what) {
        if (vector == null) {
            throw new CnnkitException(what + " is null");
        }
        if (vector.length != dimension) {
            throw new CnnkitException(what + " has " + vector.length + " values but the index holds "
                    + dimension + "-d vectors");
        }
        boolean zero = true;
        for (int j = 0; j < vector.length; j++) {
            if (!Float.isFinite(vector[j])) {
                throw new CnnkitException(what + " has a non-finite value (" + vector[j] + ") at position " + j);
            }
            zero &= vector[j] == 0f;
        }
        if (zero && metric == Metric.COSINE) {
            throw new CnnkitException(what + " is all zeros, which has no direction for the cosine metric");
        }
    }

    private static void checkK(int k) {
        if (k < 1) {
            throw new CnnkitException("k (the number of matches) must be at least 1, got " + k);
        }
    }

    /**
     * Returns the distances between every pair of stored vectors, {@code [size][size]}, in storage order
     * (for evaluation of small collections). Fits the transforms first if needed.
     */
    float[][] pairwiseDistances() {
        if (pipeline == null) {
            fit();
        }
        lock.readLock().lock();
        try {
            INDArray rows = space.get(NDArrayIndex.interval(0, size), NDArrayIndex.all());
            INDArray dots = rows.mmul(rows.transpose());
            float[][] result = dots.toFloatMatrix();
            if (metric == Metric.EUCLIDEAN) {
                float[] norms = squaredNorms;
                for (int i = 0; i < size; i++) {
                    for (int j = 0; j < size; j++) {
                        result[i][j] = (float) Math.sqrt(Math.max(0f, norms[i] + norms[j] - 2 * result[i][j]));
                    }
                }
            } else {
                for (float[] row : result) {
                    for (int j = 0; j < row.length; j++) {
                        row[j] = Math.max(0f, 1f - row[j]);
                    }
                }
            }
            return result;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Returns the dimension distances are measured in (after the transforms), or 0 before they are fitted. */
    int searchDimension() {
        lock.readLock().lock();
        try {
            return pipeline == null ? 0 : pipeline.outputDimension();
        } finally {
            lock.readLock().unlock();
        }
    }

    // Package-private views for IndexFormat; callers hold the read lock.

    int storedRows() {
        return size;
    }

    INDArray rawRows(int from, int to) {
        return raw.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    Map<String, String> storedProperties() {
        return properties;
    }

    List<String> storedIds() {
        return ids;
    }

    List<String> storedStamps() {
        return stamps;
    }

    FittedPipeline fittedPipeline() {
        return needsFitting ? pipeline : null;
    }

    /** Restores an index read from a file: vectors, ids, stamps and fitted pipeline (null when not fitted). */
    static FeatureIndex restore(Builder builder, Map<String, String> properties, INDArray vectors, List<String> ids,
                                List<String> stamps, FittedPipeline fitted) {
        FeatureIndex index = builder.optInitialCapacity((int) vectors.rows()).build();
        index.properties.putAll(properties);
        int n = (int) vectors.rows();
        if (n > 0) {
            index.raw.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()).assign(vectors);
        }
        for (int i = 0; i < n; i++) {
            index.ids.add(ids.get(i));
            index.stamps.add(stamps.get(i));
            index.rowOf.put(ids.get(i), i);
        }
        index.size = n;
        if (index.needsFitting && fitted != null) {
            index.pipeline = fitted;
            index.allocateSpace(index.raw.rows());
        }
        if (index.pipeline != null && n > 0) {
            index.fillSpace(0, n);
        }
        return index;
    }

    /** Configures a new, empty {@link FeatureIndex}. */
    public static final class Builder {
        private int dimension;
        private Metric metric = Metric.EUCLIDEAN;
        private ExtractorIdentity identity;
        private final List<VectorTransform> transforms = new ArrayList<>();
        private int initialCapacity = MIN_CAPACITY;

        private Builder() {
        }

        /**
         * Sets the vector length (required unless an extractor identity gives it).
         *
         * @param dimension at least 1
         * @return this builder
         */
        public Builder setDimension(int dimension) {
            this.dimension = dimension;
            return this;
        }

        /**
         * Sets the distance; {@link Metric#EUCLIDEAN} by default.
         *
         * @param metric the metric
         * @return this builder
         */
        public Builder optMetric(Metric metric) {
            this.metric = Objects.requireNonNull(metric, "metric");
            return this;
        }

        /**
         * Records the extractor whose vectors the index will hold; its dimension becomes the index's.
         *
         * @param identity the extractor identity
         * @return this builder
         */
        public Builder optExtractor(ExtractorIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /**
         * Sets the transform steps (replacing any added before), applied in order.
         *
         * @param steps the steps
         * @return this builder
         */
        public Builder optTransforms(List<VectorTransform> steps) {
            transforms.clear();
            steps.forEach(this::addTransform);
            return this;
        }

        /**
         * Appends a transform step.
         *
         * @param step the step
         * @return this builder
         */
        public Builder addTransform(VectorTransform step) {
            transforms.add(Objects.requireNonNull(step, "step"));
            return this;
        }

        /**
         * Reserves room for this many vectors up front (avoids regrowing a large collection).
         *
         * @param capacity vectors, at least 0
         * @return this builder
         */
        public Builder optInitialCapacity(int capacity) {
            if (capacity < 0) {
                throw new IllegalArgumentException("initial capacity must not be negative, got " + capacity);
            }
            this.initialCapacity = capacity;
            return this;
        }

        /**
         * Builds the empty index.
         *
         * @return the index
         * @throws IllegalArgumentException if no dimension is set or it disagrees with the extractor identity
         */
        public FeatureIndex build() {
            if (identity != null) {
                if (dimension != 0 && dimension != identity.dimension()) {
                    throw new IllegalArgumentException("dimension " + dimension + " disagrees with extractor "
                            + identity.describe());
                }
                dimension = identity.dimension();
            }
            if (dimension < 1) {
                throw new IllegalArgumentException("index dimension must be set and positive, got " + dimension);
            }
            return new FeatureIndex(this);
        }

        Builder copy() {
            Builder b = new Builder();
            b.dimension = dimension;
            b.metric = metric;
            b.identity = identity;
            b.transforms.addAll(transforms);
            b.initialCapacity = initialCapacity;
            return b;
        }
    }
}
