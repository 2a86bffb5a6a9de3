package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.ConcurrentMergeScheduler;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.SearchPipeline;
import org.cnnkit.retrieval.VectorTransform;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreChecks;
import org.cnnkit.retrieval.store.StoreNotFoundException;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VectorStore} on disk built on Apache Lucene's HNSW vector search: an approximate index for one machine
 * and up to tens of millions of vectors. The folder is a Lucene 9.12 index; each entry is a document with its id,
 * its stamp and its vector after the store's {@link SearchPipeline}.
 *
 * <h2>Parameters</h2>
 * Given as {@link StoreOptions} parameters (the CLI's {@code --store-option NAME=VALUE}):
 * {@code m} (graph connections per node, default 16), {@code beam-width} (candidates while inserting, default 100),
 * {@code ef} (search effort: candidates gathered per segment, default 64), {@code quantization} ({@code none},
 * {@code int8} or {@code int4}: the graph scores Lucene's scalar-quantised copies, results are re-ranked on the
 * float vectors), {@code merge-threads} (threads building a merged segment's graph, also that of a large batch,
 * default the cores up to 4), {@code ram-buffer-mb} (indexing buffer, default 256) and {@code search-cache-mb} (heap
 * for segments decoded for search, default a quarter of the maximum heap; a segment beyond it is searched where
 * Lucene keeps it).
 *
 * <h2>Writes and readers</h2>
 * Each {@link #write} is one Lucene commit: the documents are updated or deleted, the schema, the pipeline and the
 * format version go into the commit's user data, and {@code commit()} makes it durable; on any failure the writer
 * is rolled back to the last commit (and reopened by the next write). The first write takes Lucene's
 * {@code write.lock} (an OS lock, released when the process ends, even by a crash) and holds it until {@link #close};
 * a write from another process waits up to {@link StoreOptions#lockTimeout()} for it, then fails naming the lock.
 * Searches use a {@link SearcherManager} refreshed after each commit, so they never see half a batch and never wait
 * for a write; segments are merged in the background by a {@link ConcurrentMergeScheduler}. A store opened by a
 * process that does not write sees other processes' commits within a second.
 *
 * <h2>Dimensions</h2>
 * Vectors after the pipeline may have up to 4,096 values (Lucene's default limit of 1,024 is raised through the
 * codec's {@code getMaxDimensions}); wider pipelines are refused with a message to add a PCA step.
 */
public final class LuceneVectorStore implements VectorStore {

    static final String ID_FIELD = "id";
    static final String STAMP_FIELD = "stamp";
    static final String VECTOR_FIELD = "vector";

    private static final Logger LOG = LoggerFactory.getLogger(LuceneVectorStore.class);
    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final Path folder;
    private final Directory directory;
    private final StoreSchema schema;
    private final LuceneParameters parameters;
    private final StoreOptions options;
    private final SearcherManager searchers;
    private final Object writeLock = new Object();
    private volatile SearchPipeline pipeline;
    private volatile long lastRefresh = System.nanoTime();
    private final ExecutorService mergeWorkers;
    private final Queue<GraphSearch> graphSearches = new ConcurrentLinkedQueue<>();
    private final SegmentGraphCache decodedSegments;
    private final BulkLoad bulkLoad;
    private IndexWriter writer;
    private volatile boolean closed;

    private LuceneVectorStore(Path folder, Directory directory, CommitData data, LuceneParameters parameters,
                              StoreOptions options, ExecutorService mergeWorkers, BulkLoad bulkLoad,
                              IndexWriter writer) throws IOException {
        this.folder = folder;
        this.bulkLoad = bulkLoad;
        this.mergeWorkers = mergeWorkers;
        this.directory = directory;
        this.schema = data.schema();
        this.pipeline = data.pipeline().orElse(null);
        this.parameters = parameters;
        this.options = options;
        this.writer = writer;
        this.decodedSegments = new SegmentGraphCache(parameters.searchCacheMb() * 1024L * 1024L, parameters.m());
        this.searchers = new SearcherManager(directory, null);
    }

    /**
     * Opens the lucene store in a folder, creating it with {@link StoreOptions#schemaForNewStore()} when the folder
     * holds no store yet.
     *
     * @param spec a {@link StoreSpec.Kind#LUCENE} spec whose location is the folder
     * @param options the schema for a new store, the lock timeout and the parameters (see the class description)
     * @return the open store
     * @throws StoreNotFoundException if the folder holds no store and no schema was given
     * @throws CnnkitException if the spec is not a lucene one, a parameter is unknown or out of range, the stored extractor differs from the given one, the pipeline's
     *     output is wider than 4,096 values, the lock stays taken, or the folder cannot be read
     */
    public static LuceneVectorStore open(StoreSpec spec, StoreOptions options) {
        return open(spec, options, FSDirectory::open);
    }

    /** How the store opens its Lucene directory (tests wrap it to fail like a full disk). */
    @FunctionalInterface
    interface DirectoryOpener {
        Directory open(Path folder) throws IOException;
    }

    static LuceneVectorStore open(StoreSpec spec, StoreOptions options, DirectoryOpener opener) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(options, "options");
        if (spec.kind() != StoreSpec.Kind.LUCENE) {
            throw new CnnkitException("LuceneVectorStore opens lucene: specs, got " + spec);
        }
        LuceneParameters parameters = LuceneParameters.from(options);
        Path folder = Path.of(spec.location()).toAbsolutePath().normalize();
        try {
            if (Files.exists(folder) && !Files.isDirectory(folder)) {
                throw new CnnkitException("the lucene store " + folder + " is a file; a lucene store is a folder");
            }
            Directory directory = opener.open(folder);
            ExecutorService mergeWorkers = startMergeWorkers(parameters);
            BulkLoad bulkLoad = new BulkLoad();
            try {
                IndexWriter writer = null;
                if (!DirectoryReader.indexExists(directory)) {
                    StoreSchema wanted = options.schemaForNewStore().orElseThrow(() -> new StoreNotFoundException(
                            "there is no lucene store in " + folder + " (and no schema was given to create one)"));
                    checkOutputDimension(wanted, folder);
                    Files.createDirectories(folder);
                    writer = WriterOpener.open(directory, folder,
                            () -> writerConfig(parameters, mergeWorkers, bulkLoad), options.lockTimeout());
                    if (!DirectoryReader.indexExists(directory)) {
                        writer.setLiveCommitData(new CommitData(wanted, Optional.empty()).toUserData().entrySet());
                        writer.commit();
                        LOG.info("Created the lucene store {} ({}-d, {}, {})", folder, wanted.dimension(),
                                wanted.metric(), wanted.transforms());
                    }
                }
                CommitData data = CommitData.fromUserData(
                        SegmentInfos.readLatestCommit(directory).getUserData(), "the lucene store " + folder);
                checkSameExtractor(data.schema(), options, folder);
                return new LuceneVectorStore(folder, directory, data, parameters, options, mergeWorkers, bulkLoad,
                        writer);
            } catch (RuntimeException | IOException e) {
                if (mergeWorkers != null) {
                    mergeWorkers.shutdownNow();
                }
                directory.close();
                throw e;
            }
        } catch (IOException e) {
            throw new CnnkitException("cannot open the lucene store " + folder + ": " + e, e);
        }
    }

    /**
     * Starts the threads that build a merged segment's graph, or returns null for one merge thread. The store owns
     * them: the merge scheduler's own intra-merge executor lends a merge only the threads above
     * {@code maxThreadCount - runningMerges - 1}, which is none for a single merge with two merge threads (a forced
     * merge on two cores then inserted every vector on one thread).
     */
    private static ExecutorService startMergeWorkers(LuceneParameters parameters) {
        if (parameters.mergeThreads() == 1) {
            return null;
        }
        return Executors.newFixedThreadPool(parameters.mergeThreads(), r -> {
            Thread t = new Thread(r, "cnnkit-lucene-merge-worker");
            t.setDaemon(true);
            return t;
        });
    }

    private static IndexWriterConfig writerConfig(LuceneParameters parameters, ExecutorService mergeWorkers,
                                                  BulkLoad bulkLoad) {
        ConcurrentMergeScheduler merges = new ConcurrentMergeScheduler();
        merges.setMaxMergesAndThreads(parameters.mergeThreads() + 5, parameters.mergeThreads());
        return new IndexWriterConfig()
                .setCodec(HnswCodec.create(VECTOR_FIELD, parameters, mergeWorkers, bulkLoad))
                .setMergePolicy(bulkLoad.mergePolicy(new TieredMergePolicy()))
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                .setMergeScheduler(merges)
                .setRAMBufferSizeMB(parameters.ramBufferMb())
                .setCommitOnClose(true);
    }

    private static void checkSameExtractor(StoreSchema stored, StoreOptions options, Path folder) {
        Optional<StoreSchema> given = options.schemaForNewStore();
        if (given.isEmpty()) {
            return;
        }
        if (given.get().dimension() != stored.dimension()) {
            throw new CnnkitException("the lucene store " + folder + " holds " + stored.dimension()
                    + "-d vectors, the given schema has " + given.get().dimension());
        }
        if (stored.identity().isPresent() && given.get().identity().isPresent()
                && !stored.identity().equals(given.get().identity())) {
            throw new CnnkitException("the lucene store " + folder + " was built with the extractor "
                    + stored.identity().get().describe() + ", not " + given.get().identity().get().describe()
                    + "; its vectors are not comparable");
        }
    }

    private static void checkOutputDimension(StoreSchema schema, Path folder) {
        int out = schema.dimension();
        for (VectorTransform step : schema.transforms()) {
            if (step.kind() == VectorTransform.Kind.PCA || step.kind() == VectorTransform.Kind.PCA_WHITENED) {
                out = Math.min(out, step.dimensions());
            }
        }
        boolean variance = schema.transforms().stream().anyMatch(t -> t.kind() == VectorTransform.Kind.PCA_VARIANCE);
        if (out > HnswCodec.MAX_DIMENSIONS && !variance) {
            throw new CnnkitException("the lucene store " + folder + " takes vectors of up to "
                    + HnswCodec.MAX_DIMENSIONS + " values after the transforms, these have " + out
                    + "; add a PCA step (for example pca:512) to reduce them");
        }
    }

    /** {@inheritDoc} */
    @Override
    public StoreSchema schema() {
        return schema;
    }

    /** {@inheritDoc} */
    @Override
    public Optional<SearchPipeline> pipeline() {
        return Optional.ofNullable(pipeline);
    }

    /**
     * Returns the store's folder.
     *
     * @return the absolute folder of the Lucene index
     */
    public Path folder() {
        return folder;
    }

    /** {@inheritDoc} */
    @Override
    public long size() {
        return withReader(IndexReader::numDocs);
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String id) {
        Objects.requireNonNull(id, "id");
        return withReader(reader -> find(reader, id) != null);
    }

    /** {@inheritDoc} */
    @Override
    public Optional<String> stamp(String id) {
        Objects.requireNonNull(id, "id");
        return withReader(reader -> {
            int[] where = find(reader, id);
            if (where == null) {
                return Optional.empty();
            }
            BinaryDocValues stamps = reader.leaves().get(where[0]).reader().getBinaryDocValues(STAMP_FIELD);
            return stamps != null && stamps.advanceExact(where[1])
                    ? Optional.of(stamps.binaryValue().utf8ToString()) : Optional.empty();
        });
    }

    /** {@inheritDoc} */
    @Override
    public void forEachEntry(BiConsumer<String, String> visitor) {
        Objects.requireNonNull(visitor, "visitor");
        withReader(reader -> {
            for (LeafReaderContext context : reader.leaves()) {
                LeafReader leaf = context.reader();
                Bits live = leaf.getLiveDocs();
                BinaryDocValues ids = leaf.getBinaryDocValues(ID_FIELD);
                BinaryDocValues stamps = leaf.getBinaryDocValues(STAMP_FIELD);
                if (ids == null) {
                    continue;
                }
                for (int doc = ids.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = ids.nextDoc()) {
                    if (live == null || live.get(doc)) {
                        String stamp = stamps != null && stamps.advanceExact(doc)
                                ? stamps.binaryValue().utf8ToString() : null;
                        visitor.accept(ids.binaryValue().utf8ToString(), stamp);
                    }
                }
            }
            return null;
        });
    }

    /** {@inheritDoc} */
    @Override
    public void write(StoreBatch batch) {
        Objects.requireNonNull(batch, "batch");
        StoreChecks.requireValid(schema, batch);
        if (batch.isEmpty()) {
            return;
        }
        synchronized (writeLock) {
            requireOpen();
            SearchPipeline fitted = pipeline;
            if (fitted == null && !batch.puts().isEmpty()) {
                fitted = fit(batch);
            }
            float[][] vectors = batch.puts().isEmpty() ? new float[0][] : prepare(fitted, batch);
            try {
                if (writer == null) {
                    writer = WriterOpener.open(directory, folder,
                            () -> writerConfig(parameters, mergeWorkers, bulkLoad),
                            options.lockTimeout());
                }
                boolean empty = withReader(reader -> reader.maxDoc() == 0) && writer.getDocStats().maxDoc == 0;
                for (String id : batch.removals()) {
                    writer.deleteDocuments(new Term(ID_FIELD, id));
                }
                if (batch.puts().size() >= BulkLoad.MIN_PUTS) {
                    addInBulk(batch.puts(), vectors, empty);
                } else {
                    addRange(batch.puts(), vectors, 0, vectors.length, empty);
                }
                writer.setLiveCommitData(new CommitData(schema, Optional.ofNullable(fitted)).toUserData().entrySet());
                writer.commit();
            } catch (IOException | RuntimeException e) {
                rollback();
                throw new CnnkitException("the lucene store " + folder + ": the batch of " + batch.puts().size()
                        + " puts and " + batch.removals().size() + " removals was not written (nothing of it is "
                        + "kept): " + e.getMessage(), e);
            }
            pipeline = fitted;
            refresh();
        }
    }

    private SearchPipeline fit(StoreBatch batch) {
        float[][] sample = new float[batch.puts().size()][];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = batch.puts().get(i).vector();
        }
        SearchPipeline fitted = SearchPipeline.fit(schema.transforms(), sample);
        if (fitted.outputDimension() > HnswCodec.MAX_DIMENSIONS) {
            throw new CnnkitException("the lucene store " + folder + " takes vectors of up to "
                    + HnswCodec.MAX_DIMENSIONS + " values after the transforms, these have "
                    + fitted.outputDimension() + "; add a PCA step (for example pca:512) to reduce them");
        }
        return fitted;
    }

    /** Applies the pipeline (and unit length under cosine) to the batch's vectors. */
    private float[][] prepare(SearchPipeline fitted, StoreBatch batch) {
        float[][] raw = new float[batch.puts().size()][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = batch.puts().get(i).vector();
        }
        float[][] out = transform(fitted, raw);
        if (schema.metric() == Metric.COSINE) {
            for (int i = 0; i < out.length; i++) {
                if (!unitLength(out[i])) {
                    throw new CnnkitException("entry '" + batch.puts().get(i).id() + "' is a zero vector after the "
                            + "transforms " + schema.transforms() + "; the cosine metric cannot measure it");
                }
            }
        }
        return out;
    }

    private static float[][] transform(SearchPipeline fitted, float[][] raw) {
        if (fitted.isIdentity()) {
            float[][] copy = new float[raw.length][];
            for (int i = 0; i < raw.length; i++) {
                copy[i] = raw[i].clone();
            }
            return copy;
        }
        return fitted.apply(raw);
    }

    /** Scales a vector to unit length in place; returns false for a zero vector. */
    private static boolean unitLength(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return false;
        }
        float scale = (float) (1 / Math.sqrt(sum));
        for (int i = 0; i < v.length; i++) {
            v[i] *= scale;
        }
        return true;
    }

    /**
     * Adds a large batch as a {@link BulkLoad}: the documents go into segments without a graph, which one forced
     * merge of exactly those segments then turns into one segment with one graph, built by Lucene's concurrent merge
     * on the merge workers. Runs inside the write, before its commit, so searches never see the segments without
     * graphs.
     */
    private void addInBulk(List<StoreBatch.Entry> puts, float[][] vectors, boolean storeEmpty) throws IOException {
        Set<String> committed = new HashSet<>();
        for (SegmentCommitInfo info : SegmentInfos.readLatestCommit(directory)) {
            committed.add(info.info.name);
        }
        bulkLoad.begin(committed);
        try {
            long start = System.nanoTime();
            addRange(puts, vectors, 0, puts.size(), storeEmpty);
            writer.flush();
            bulkLoad.graphsFromNowOn();
            long added = System.nanoTime();
            writer.forceMerge(1, true);
            LOG.info("Added {} vectors to {} in {} s, then built their graph in {} s", puts.size(), folder,
                    seconds(added - start), seconds(System.nanoTime() - added));
        } finally {
            bulkLoad.end();
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private void addRange(List<StoreBatch.Entry> puts, float[][] vectors, int from, int to, boolean storeEmpty)
            throws IOException {
        VectorSimilarityFunction similarity = schema.metric() == Metric.COSINE
                ? VectorSimilarityFunction.DOT_PRODUCT : VectorSimilarityFunction.EUCLIDEAN;
        for (int i = from; i < to; i++) {
            StoreBatch.Entry entry = puts.get(i);
            Document doc = new Document();
            doc.add(new StringField(ID_FIELD, entry.id(), Field.Store.NO));
            doc.add(new BinaryDocValuesField(ID_FIELD, new BytesRef(entry.id())));
            entry.stamp().ifPresent(s -> doc.add(new BinaryDocValuesField(STAMP_FIELD, new BytesRef(s))));
            doc.add(new KnnFloatVectorField(VECTOR_FIELD, vectors[i], similarity));
            if (storeEmpty) {
                writer.addDocument(doc);
            } else {
                writer.updateDocument(new Term(ID_FIELD, entry.id()), doc);
            }
        }
    }

    private void rollback() {
        if (writer == null) {
            return;
        }
        try {
            writer.rollback();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Rolling back the lucene store {} failed: {}", folder, e.toString());
        } finally {
            writer = null;
        }
    }

    /**
     * Merges the store's segments into at most the given number, waiting for the merge: after a bulk load, one
     * segment searches fastest (each segment's graph is searched on its own). Searches go on meanwhile.
     *
     * @param maxSegments the most segments to keep, at least 1
     * @throws CnnkitException if the merge fails or the lock stays taken
     */
    public void forceMerge(int maxSegments) {
        if (maxSegments < 1) {
            throw new CnnkitException("maxSegments must be at least 1, got " + maxSegments);
        }
        synchronized (writeLock) {
            requireOpen();
            try {
                if (writer == null) {
                    writer = WriterOpener.open(directory, folder,
                            () -> writerConfig(parameters, mergeWorkers, bulkLoad),
                            options.lockTimeout());
                }
                writer.forceMerge(maxSegments, true);
                writer.setLiveCommitData(new CommitData(schema, Optional.ofNullable(pipeline)).toUserData().entrySet());
                writer.commit();
            } catch (IOException | RuntimeException e) {
                rollback();
                throw new CnnkitException("merging the lucene store " + folder + " failed: " + e.getMessage(), e);
            }
            refresh();
        }
    }

    /**
     * Returns the number of segments searches currently see (each has its own graph, searched in turn).
     *
     * @return the segment count
     */
    public int segmentCount() {
        return withReader(reader -> reader.leaves().size());
    }

    /** The segments decoded for search (for tests). */
    SegmentGraphCache decodedSegments() {
        return decodedSegments;
    }

    /** {@inheritDoc} */
    @Override
    public List<List<Match>> search(float[][] queries, int k) {
        return search(queries, k, parameters.ef());
    }

    /**
     * Finds the k stored vectors nearest to each query with a given search effort.
     *
     * @param queries vectors of {@link StoreSchema#dimension()} finite values, as extracted
     * @param k how many matches per query, at least 1
     * @param effort candidates gathered per segment (raised to k when smaller): more is slower and finds more of the
     *     true nearest
     * @return one list per query, nearest first
     * @throws CnnkitException if a query is invalid, k or the effort is below 1
     */
    public List<List<Match>> search(float[][] queries, int k, int effort) {
        Objects.requireNonNull(queries, "queries");
        StoreChecks.requireValidQueries(schema, queries, k);
        if (effort < 1) {
            throw new CnnkitException("the search effort must be at least 1, got " + effort);
        }
        SearchPipeline fitted = pipeline;
        if (fitted == null || queries.length == 0) {
            List<List<Match>> none = new ArrayList<>();
            for (int i = 0; i < queries.length; i++) {
                none.add(List.of());
            }
            return none;
        }
        float[][] transformed = transform(fitted, queries);
        if (schema.metric() == Metric.COSINE) {
            for (int i = 0; i < transformed.length; i++) {
                if (!unitLength(transformed[i])) {
                    throw new CnnkitException("query " + i + " is a zero vector after the transforms "
                            + schema.transforms() + "; the cosine metric cannot measure it");
                }
            }
        }
        return withGraphSearch(graphSearch -> withReader(reader -> {
            NearestSearch nearest = new NearestSearch(reader, schema.metric(), graphSearch, decodedSegments);
            List<List<Match>> results = new ArrayList<>(transformed.length);
            for (float[] query : transformed) {
                results.add(nearest.search(query, k, effort, rescoreAll(), null));
            }
            return results;
        }));
    }

    /** {@inheritDoc} */
    @Override
    public List<Match> searchById(String id, int k) {
        Objects.requireNonNull(id, "id");
        StoreChecks.requireK(k);
        return withGraphSearch(graphSearch -> withReader(reader -> {
            int[] where = find(reader, id);
            if (where == null) {
                throw new CnnkitException("the lucene store " + folder + " has no entry '" + id + "'");
            }
            FloatVectorValues values = reader.leaves().get(where[0]).reader().getFloatVectorValues(VECTOR_FIELD);
            values.advance(where[1]);
            float[] query = values.vectorValue().clone();
            return new NearestSearch(reader, schema.metric(), graphSearch, decodedSegments)
                    .search(query, k, parameters.ef(), rescoreAll(), where);
        }));
    }

    /** Runs a search with a {@link GraphSearch} of the pool (one per search running at once), then gives it back. */
    private <T> T withGraphSearch(Function<GraphSearch, T> search) {
        GraphSearch graphSearch = graphSearches.poll();
        if (graphSearch == null) {
            graphSearch = new GraphSearch();
        }
        try {
            return search.apply(graphSearch);
        } finally {
            graphSearches.offer(graphSearch);
        }
    }

    @Override
    public List<List<Match>> searchInSpace(float[][] vectors, int k) {
        Objects.requireNonNull(vectors, "vectors");
        StoreChecks.requireK(k);
        SearchPipeline fitted = pipeline;
        List<List<Match>> results = new ArrayList<>(vectors.length);
        if (fitted == null || vectors.length == 0) {
            for (int i = 0; i < vectors.length; i++) {
                results.add(List.of());
            }
            return results;
        }
        StoreChecks.requireSpaceVectors(vectors, fitted.outputDimension());
        return withGraphSearch(graphSearch -> withReader(reader -> {
            NearestSearch nearest = new NearestSearch(reader, schema.metric(), graphSearch, decodedSegments);
            for (float[] vector : vectors) {
                results.add(nearest.search(vector.clone(), k, parameters.ef(), rescoreAll(), null));
            }
            return results;
        }));
    }

    @Override
    public Map<String, float[]> spaceVectors(Collection<String> ids) {
        Objects.requireNonNull(ids, "ids");
        return withReader(reader -> {
            Map<String, float[]> found = new LinkedHashMap<>();
            for (String id : ids) {
                int[] where = find(reader, id);
                if (where != null) {
                    FloatVectorValues values = reader.leaves().get(where[0]).reader()
                            .getFloatVectorValues(VECTOR_FIELD);
                    values.advance(where[1]);
                    found.put(id, values.vectorValue().clone());
                }
            }
            return found;
        });
    }

    private boolean rescoreAll() {
        return parameters.quantization() != Quantization.NONE;
    }

    /** {@inheritDoc} Lucene stores keep the pipeline fitted on their first batch. */
    @Override
    public boolean refit() {
        return false;
    }

    /** Returns the (segment ord, doc) of the live document with an id, or null. */
    private static int[] find(IndexReader reader, String id) throws IOException {
        BytesRef term = new BytesRef(id);
        List<LeafReaderContext> leaves = reader.leaves();
        for (int ord = 0; ord < leaves.size(); ord++) {
            LeafReader leaf = leaves.get(ord).reader();
            Terms terms = leaf.terms(ID_FIELD);
            if (terms == null) {
                continue;
            }
            TermsEnum te = terms.iterator();
            if (!te.seekExact(term)) {
                continue;
            }
            PostingsEnum postings = te.postings(null, PostingsEnum.NONE);
            Bits live = leaf.getLiveDocs();
            for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
                if (live == null || live.get(doc)) {
                    return new int[] {ord, doc};
                }
            }
        }
        return null;
    }

    /** Something read from a point-in-time reader. */
    @FunctionalInterface
    private interface ReaderTask<T> {
        T run(IndexReader reader) throws IOException;
    }

    private <T> T withReader(ReaderTask<T> task) {
        requireOpen();
        try {
            maybeRefreshFromOtherWriters();
            IndexSearcher searcher = searchers.acquire();
            try {
                return task.run(searcher.getIndexReader());
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new CnnkitException("cannot read the lucene store " + folder + ": " + e, e);
        }
    }

    /** Picks up commits of other processes at most once a second, without waiting for a refresh in progress. */
    private void maybeRefreshFromOtherWriters() throws IOException {
        long now = System.nanoTime();
        if (now - lastRefresh > REFRESH_NANOS) {
            lastRefresh = now;
            searchers.maybeRefresh();
        }
    }

    private void refresh() {
        try {
            searchers.maybeRefreshBlocking();
            lastRefresh = System.nanoTime();
        } catch (IOException e) {
            throw new CnnkitException("the lucene store " + folder + ": the batch was committed but searches cannot see "
                    + "it yet (refreshing the reader failed: " + e + ")", e);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new CnnkitException("the lucene store " + folder + " is closed");
        }
    }

    /** {@inheritDoc} Waits for running background merges and commits their result. */
    @Override
    public void close() {
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (writer != null) {
                    writer.close();
                }
                searchers.close();
                directory.close();
            } catch (IOException e) {
                throw new CnnkitException("closing the lucene store " + folder + " failed: " + e, e);
            } finally {
                writer = null;
                if (mergeWorkers != null) {
                    mergeWorkers.shutdownNow();
                }
            }
        }
    }
}
