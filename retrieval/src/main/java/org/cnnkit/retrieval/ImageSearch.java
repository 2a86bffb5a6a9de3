package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFiles;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.retrieval.store.ExactVectorStore;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.VectorStore;
import org.cnnkit.retrieval.store.VectorStores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image retrieval in a few calls: index the images of a folder tree with a {@link FeatureExtractor} into a
 * {@link VectorStore} (the exact {@code .cfi} index, a Lucene HNSW index, a PostgreSQL table), update it with new or
 * changed files, and find the most similar indexed images for query images.
 *
 * <pre>{@code
 * StoreSpec spec = StoreSpec.parse("exact:photos.cfi");
 * StoreSchema schema = ImageSearch.newStoreSchema(spec, extractor.identity(), SearchSettings.defaults(), Map.of(),
 *         Path.of("photos"));
 * try (ImageSearch search = ImageSearch.open(spec, StoreOptions.builder().optSchemaForNewStore(schema).build(),
 *         extractor)) {
 *     IndexingReport report = search.indexFolder(Path.of("photos"), ProgressListener.none());
 *     List<ImageMatch> similar = search.search(Path.of("query.jpg"), 4);
 * }
 * }</pre>
 *
 * <h2>Ids</h2>
 * A store made by {@link #newStoreSchema} records a root folder (the property {@value #ROOT_PROPERTY}), relative to
 * the folder that holds the store when there is one, and keys each image by its path relative to that root with
 * {@code /} separators ({@code beach/12.jpg}); an image outside the root is keyed by its {@code file:} URI. A store
 * moved together with its images therefore still finds them, and {@link #withRoot(Path)} points a store at images
 * that now live elsewhere. Stores without a root (indexes written by earlier versions, and searches made with
 * {@link #create(FeatureExtractor, SearchSettings)}) keep absolute paths as ids.
 *
 * <h2>Indexing</h2>
 * Each file's size and modification time are its entry's stamp: indexing a folder again extracts only new or changed
 * files and drops the entries of files under that folder that are gone or can no longer be read (entries outside the
 * folder are left alone, so two folders can be indexed into one store, also by two processes at once). Unreadable
 * files are skipped and named in the {@link IndexingReport}. Vectors are written in all-or-nothing batches; a store
 * whose transforms are still to be fitted first gets a batch of up to {@link #DEFAULT_FIT_SAMPLE} vectors to fit them
 * on. After a run that changed anything, {@link VectorStore#refit()} refits the transforms on the whole collection
 * where the store can (the exact store).
 */
public final class ImageSearch implements AutoCloseable {

    /** The store property that records the root folder image ids are relative to. */
    public static final String ROOT_PROPERTY = "root";
    /** How many vectors a store whose transforms need fitting gets in its first batch, unless set otherwise. */
    public static final int DEFAULT_FIT_SAMPLE = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(ImageSearch.class);
    /** Files handed to the extractor at once; the extractor decodes them one network batch at a time. */
    private static final int FILES_PER_STEP = 64;
    /** The smallest and largest number of vectors written to a store in one batch (bounds memory). */
    private static final int MIN_WRITE_BATCH = 1_024;
    private static final int MAX_WRITE_BATCH = 10_000;

    private final FeatureExtractor extractor;
    private final VectorStore store;
    private final ImageIds ids;
    private final int fitSample;

    private ImageSearch(FeatureExtractor extractor, VectorStore store, ImageIds ids, int fitSample) {
        this.extractor = extractor;
        this.store = store;
        this.ids = ids;
        this.fitSample = fitSample;
    }

    /**
     * Starts an empty search over an extractor's features, held in memory (an exact store; {@link #save(Path)}
     * writes it to a file). Ids are absolute paths.
     *
     * @param extractor the feature extractor
     * @param settings the metric and transforms of the new index
     * @return the search
     */
    public static ImageSearch create(FeatureExtractor extractor, SearchSettings settings) {
        Objects.requireNonNull(extractor, "extractor");
        return new ImageSearch(extractor, ExactVectorStore.inMemory(StoreSchema.of(extractor.identity(), settings)),
                ImageIds.absolute(), DEFAULT_FIT_SAMPLE);
    }

    /**
     * Starts an empty search in memory with the extractor a spec describes, and records the spec in the index so
     * that {@link #open(Path, ProgressListener)} can rebuild the extractor.
     *
     * @param spec the extractor to build
     * @param settings the metric and transforms of the new index
     * @param downloadListener receives progress of a weights download
     * @return the search
     * @throws CnnkitException if the extractor cannot be built
     */
    public static ImageSearch create(ExtractorSpec spec, SearchSettings settings, ProgressListener downloadListener) {
        return create(spec, settings, downloadListener, null);
    }

    /**
     * As {@link #create(ExtractorSpec, SearchSettings, ProgressListener)}, with the extractor's network on an engine.
     *
     * @param spec the extractor to build
     * @param settings the metric and transforms of the new index
     * @param downloadListener receives progress of a weights download
     * @param engine the engine that runs the network (null: the fastest available)
     * @return the search
     * @throws CnnkitException if the extractor cannot be built or the engine is not available
     */
    public static ImageSearch create(ExtractorSpec spec, SearchSettings settings, ProgressListener downloadListener,
            InferenceEngine engine) {
        FeatureExtractor extractor = spec.create(downloadListener, engine);
        StoreSchema schema = StoreSchema.of(extractor.identity(), settings);
        for (var property : spec.toProperties().entrySet()) {
            schema = schema.withProperty(property.getKey(), property.getValue());
        }
        return new ImageSearch(extractor, ExactVectorStore.inMemory(schema), ImageIds.absolute(), DEFAULT_FIT_SAMPLE);
    }

    /**
     * Returns the schema of a new store for an extractor's vectors, with a root folder for the image ids: the
     * deepest folder that contains both the store's folder and the folder about to be indexed, recorded relative to
     * the store's folder (so that indexing the sibling folders {@code a/} and {@code b/} into {@code x.cfi} beside
     * them keeps both, and the three moved together still work); the indexed folder itself when the store has no
     * folder (PostgreSQL) or the two share only the file system root.
     *
     * @param spec the store
     * @param identity the extractor's identity
     * @param settings the metric and transforms
     * @param properties further properties to record (for example {@link ExtractorSpec#toProperties()})
     * @param folderToIndex the folder the first indexing run covers
     * @return the schema
     */
    public static StoreSchema newStoreSchema(StoreSpec spec, ExtractorIdentity identity, SearchSettings settings,
                                             java.util.Map<String, String> properties, Path folderToIndex) {
        StoreSchema schema = StoreSchema.of(identity, settings);
        for (var property : properties.entrySet()) {
            schema = schema.withProperty(property.getKey(), property.getValue());
        }
        Path folder = folderToIndex.toAbsolutePath().normalize();
        String root = folder.toString();
        Optional<Path> home = spec.homeFolder();
        if (home.isPresent()) {
            Path common = home.get();
            while (common != null && !folder.startsWith(common)) {
                common = common.getParent();
            }
            if (common != null && common.getNameCount() > 0) {
                String relative = home.get().relativize(common).toString().replace(java.io.File.separatorChar, '/');
                root = relative.isEmpty() ? "." : relative;
            }
        }
        return schema.withProperty(ROOT_PROPERTY, root);
    }

    /**
     * Opens (or, with a schema in the options, creates) a store for searching or updating with the extractor that
     * made it.
     *
     * @param spec the store
     * @param options the store options
     * @param extractor the extractor
     * @return the search; close it to close the store
     * @throws CnnkitException if the store cannot be opened or records another extractor
     */
    public static ImageSearch open(StoreSpec spec, StoreOptions options, FeatureExtractor extractor) {
        return of(spec, VectorStores.open(spec, options), extractor);
    }

    /**
     * Wraps a store that is already open, checking that it was filled by this extractor; the search then owns the
     * store (closing the search closes it, and so does a failed check).
     *
     * @param spec the spec the store was opened with (its folder anchors relative image ids)
     * @param store the open store
     * @param extractor the extractor
     * @return the search
     * @throws CnnkitException if the store records another extractor
     */
    public static ImageSearch of(StoreSpec spec, VectorStore store, FeatureExtractor extractor) {
        try {
            requireCompatible(store, extractor.identity());
            return new ImageSearch(extractor, store, idsOf(store.schema(), spec.homeFolder()), DEFAULT_FIT_SAMPLE);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * Opens a store and rebuilds the extractor recorded in it, checking that it is the same one.
     *
     * @param spec the store
     * @param options the store options
     * @param downloadListener receives progress of a weights download
     * @return the search; close it to close the store
     * @throws CnnkitException if the store cannot be opened, records no extractor, or the rebuilt one differs
     */
    public static ImageSearch open(StoreSpec spec, StoreOptions options, ProgressListener downloadListener) {
        return open(spec, options, downloadListener, null);
    }

    /**
     * As {@link #open(StoreSpec, StoreOptions, ProgressListener)}, with the extractor's network on an engine.
     *
     * @param spec the store
     * @param options the store options
     * @param downloadListener receives progress of a weights download
     * @param engine the engine that runs the network (null: the fastest available)
     * @return the search; close it to close the store
     * @throws CnnkitException if the store cannot be opened, records no extractor, the rebuilt one differs, or the
     *     engine is not available
     */
    public static ImageSearch open(StoreSpec spec, StoreOptions options, ProgressListener downloadListener,
                                   InferenceEngine engine) {
        VectorStore store = VectorStores.open(spec, options);
        try {
            ExtractorSpec extractorSpec = ExtractorSpec.fromProperties(store.schema().properties())
                    .orElseThrow(() -> new CnnkitException("the store " + spec + " does not record which extractor "
                            + "made it; open it with its extractor"));
            FeatureExtractor extractor = extractorSpec.create(downloadListener, engine);
            requireCompatible(store, extractor.identity());
            return new ImageSearch(extractor, store, idsOf(store.schema(), spec.homeFolder()), DEFAULT_FIT_SAMPLE);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * Opens a saved index file (an exact store) and rebuilds the extractor recorded in it.
     *
     * @param indexFile the index file
     * @param downloadListener receives progress of a weights download
     * @return the search
     * @throws IndexFileException if the file is missing or damaged
     * @throws CnnkitException if the index records no extractor, or the rebuilt one differs from the recorded one
     */
    public static ImageSearch open(Path indexFile, ProgressListener downloadListener) {
        return open(indexFile, downloadListener, null);
    }

    /**
     * As {@link #open(Path, ProgressListener)}, with the extractor's network on an engine.
     *
     * @param indexFile the index file
     * @param downloadListener receives progress of a weights download
     * @param engine the engine that runs the network (null: the fastest available)
     * @return the search
     * @throws IndexFileException if the file is missing or damaged
     * @throws CnnkitException if the index records no extractor, the rebuilt one differs from the recorded one, or
     *     the engine is not available
     */
    public static ImageSearch open(Path indexFile, ProgressListener downloadListener, InferenceEngine engine) {
        return open(exactSpec(indexFile), StoreOptions.openExisting(), downloadListener, engine);
    }

    /**
     * Opens a saved index file (an exact store) for searching or updating with the extractor that made it.
     *
     * @param indexFile the index file
     * @param extractor the extractor that made it
     * @return the search
     * @throws IndexFileException if the file is missing or damaged
     * @throws CnnkitException if the index records another extractor
     */
    public static ImageSearch open(Path indexFile, FeatureExtractor extractor) {
        return open(exactSpec(indexFile), StoreOptions.openExisting(), extractor);
    }

    /**
     * Wraps an index held in memory, checking that it was built with this extractor.
     *
     * @param index the index
     * @param extractor the extractor that made it
     * @return the search
     * @throws CnnkitException if the index records another extractor
     */
    public static ImageSearch of(FeatureIndex index, FeatureExtractor extractor) {
        index.requireCompatible(extractor.identity());
        ExactVectorStore store = ExactVectorStore.inMemory(index);
        return new ImageSearch(extractor, store, idsOf(store.schema(), Optional.empty()), DEFAULT_FIT_SAMPLE);
    }

    /**
     * Returns a search over the same store whose image ids resolve against another root folder (the images were
     * moved, or the store is searched on another machine). Closing either closes the store.
     *
     * @param root the folder the relative ids are resolved against
     * @return the search
     */
    public ImageSearch withRoot(Path root) {
        return new ImageSearch(extractor, store, ImageIds.relativeTo(root), fitSample);
    }

    /**
     * Returns a search over the same store that gives a store whose transforms still need fitting a first batch of
     * up to {@code vectors} vectors.
     *
     * @param vectors the size of the fitting sample, at least 1
     * @return the search
     */
    public ImageSearch withFitSample(int vectors) {
        if (vectors < 1) {
            throw new IllegalArgumentException("the fitting sample must hold at least 1 vector, got " + vectors);
        }
        return new ImageSearch(extractor, store, ids, vectors);
    }

    /** {@return the store} */
    public VectorStore store() {
        return store;
    }

    /** {@return the root folder image ids are relative to, or empty when ids are absolute paths} */
    public Optional<Path> root() {
        return ids.root();
    }

    /**
     * Returns the image file a stored id stands for: resolved against the root for relative ids, as is for absolute
     * paths and {@code file:} URIs. Whether the id is stored, or the file exists, is not checked.
     *
     * @param id a store id, as in {@link Match#id()}
     * @return the file
     */
    public Path fileOf(String id) {
        return ids.pathOf(id);
    }

    /** {@return the extractor} */
    public FeatureExtractor extractor() {
        return extractor;
    }

    /**
     * Saves an exact store to a file atomically (a store opened from a spec saves every batch as it is written).
     *
     * @param file where to save
     * @throws CnnkitException if the store is not exact, or the file cannot be written
     */
    public void save(Path file) {
        if (!(store instanceof ExactVectorStore exact)) {
            throw new CnnkitException("only an exact store is saved to a file; " + store + " keeps every batch as "
                    + "it is written");
        }
        exact.saveAs(file);
    }

    /** Closes the store. */
    @Override
    public void close() {
        store.close();
    }

    /**
     * Indexes every image under a folder, recursively: new files are added, changed files (other size or
     * modification time) re-extracted, entries of files under the folder that no longer exist or can no longer
     * be read removed, and unchanged files left alone. Unreadable images are skipped and reported. At most one
     * write batch of vectors is held in memory.
     *
     * @param folder the folder
     * @param listener receives extraction progress, in images
     * @return what was done
     * @throws CnnkitException if the folder does not exist or cannot be read, or a write fails (the batches written
     *     before stay)
     */
    public IndexingReport indexFolder(Path folder, ProgressListener listener) {
        long start = System.nanoTime();
        Path base = folder.toAbsolutePath().normalize();
        List<Path> files = ImageFiles.listRecursive(base);
        java.util.Map<String, String> stored = new java.util.HashMap<>();
        store.forEachEntry((id, stamp) -> {
            if (isUnder(id, base)) {
                stored.put(id, stamp);
            }
        });
        List<Path> toExtract = new ArrayList<>();
        java.util.Map<Path, String> stamps = new java.util.HashMap<>();
        Set<String> present = new HashSet<>();
        int unchanged = 0;
        for (Path file : files) {
            Path absolute = file.toAbsolutePath().normalize();
            String id = ids.idOf(absolute);
            present.add(id);
            String stamp = stampOf(absolute);
            if (stamp.equals(stored.get(id))) {
                unchanged++;
            } else {
                toExtract.add(absolute);
                stamps.put(absolute, stamp);
            }
        }
        StoreBatch.Builder pending = StoreBatch.builder();
        int removed = 0;
        for (String id : stored.keySet()) {
            if (!present.contains(id)) {
                pending.addRemove(id);
                removed++;
            }
        }
        boolean fitFirst = store.pipeline().isEmpty()
                && store.schema().transforms().stream().anyMatch(VectorTransform::needsFitting);
        int threshold = fitFirst ? fitSample : writeBatch();
        int pendingPuts = 0;
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        int added = 0;
        ProgressTracker tracker = ProgressTracker.start("indexing " + base, toExtract.size(),
                listener == null ? ProgressListener.none() : listener);
        for (int from = 0; from < toExtract.size(); from += FILES_PER_STEP) {
            int to = Math.min(toExtract.size(), from + FILES_PER_STEP);
            ExtractionResult result = extractor.extractReadable(toExtract.subList(from, to), ProgressListener.none());
            float[][] vectors = result.vectors();
            for (int i = 0; i < result.files().size(); i++) {
                Path file = result.files().get(i);
                pending.addPut(ids.idOf(file), vectors[i], stamps.get(file));
                pendingPuts++;
            }
            added += result.files().size();
            skipped.addAll(result.skipped());
            for (ExtractionResult.SkippedFile skip : result.skipped()) {
                // A file indexed before that can no longer be read loses its entry: count it as removed.
                String id = ids.idOf(skip.path());
                if (stored.containsKey(id)) {
                    pending.addRemove(id);
                    removed++;
                }
                LOG.warn("skipped {}: {}", skip.path(), skip.reason());
            }
            if (pendingPuts >= threshold) {
                store.write(pending.build());
                pending = StoreBatch.builder();
                pendingPuts = 0;
                threshold = writeBatch();
            }
            tracker.advance(to - from);
        }
        store.write(pending.build());
        tracker.finish();
        if (added > 0 || removed > 0) {
            store.refit();
        }
        return new IndexingReport(added, unchanged, removed, skipped, Math.toIntExact(store.size()),
                Duration.ofNanos(System.nanoTime() - start));
    }

    /** Vectors per write: a quarter of the store (so an exact store is rewritten a bounded number of times). */
    private int writeBatch() {
        return (int) Math.min(MAX_WRITE_BATCH, Math.max(MIN_WRITE_BATCH, store.size() / 4));
    }

    private boolean isUnder(String id, Path base) {
        try {
            return ids.pathOf(id).startsWith(base);
        } catch (RuntimeException e) {
            // An id that is no path of this machine (a URI of another scheme): not under the folder.
            return false;
        }
    }

    /**
     * Finds the indexed images most similar to an image file.
     *
     * @param query the query image
     * @param topN how many matches, at least 1
     * @return the matches, nearest first
     * @throws org.cnnkit.core.image.ImageDecodingException if the query cannot be read
     */
    public List<ImageMatch> search(Path query, int topN) {
        return search(List.of(query), topN, ProgressListener.none()).get(0).matches();
    }

    /**
     * Finds the indexed images most similar to each of several image files, extracted in batches.
     *
     * @param queries the query images
     * @param topN how many matches per query, at least 1
     * @param listener receives extraction progress
     * @return one result per query, in order
     * @throws org.cnnkit.core.image.ImageDecodingException if a query cannot be read
     */
    public List<QueryResult> search(List<Path> queries, int topN, ProgressListener listener) {
        if (topN < 1) {
            throw new CnnkitException("the number of matches must be at least 1, got " + topN);
        }
        float[][] vectors = extractor.extract(queries, listener);
        List<List<Match>> matches = searchStore(vectors, topN);
        List<QueryResult> results = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            results.add(new QueryResult(queries.get(i), toImageMatches(matches.get(i))));
        }
        return results;
    }

    /**
     * Finds the indexed images most similar to each of several image files as {@link #search(List, int,
     * ProgressListener)}, but goes on past query files that cannot be read and returns them with the reason.
     *
     * @param queries the query images
     * @param topN how many matches per query, at least 1
     * @param listener receives extraction progress (in images, unreadable ones included)
     * @return one result per readable query in order, and the unreadable queries
     */
    public SearchResult searchReadable(List<Path> queries, int topN, ProgressListener listener) {
        if (topN < 1) {
            throw new CnnkitException("the number of matches must be at least 1, got " + topN);
        }
        ExtractionResult extracted = extractor.extractReadable(queries, listener);
        List<QueryResult> results = new ArrayList<>();
        if (!extracted.files().isEmpty()) {
            List<List<Match>> matches = searchStore(extracted.vectors(), topN);
            for (int i = 0; i < extracted.files().size(); i++) {
                results.add(new QueryResult(extracted.files().get(i), toImageMatches(matches.get(i))));
            }
        }
        return new SearchResult(results, extracted.skipped());
    }

    /**
     * Finds the indexed images most similar to a decoded image.
     *
     * @param query the query image
     * @param topN how many matches, at least 1
     * @return the matches, nearest first
     */
    public List<ImageMatch> search(BufferedImage query, int topN) {
        return toImageMatches(searchStore(new float[][] {extractor.extract(query)}, topN).get(0));
    }

    /**
     * Searches the store with extracted vectors, through the store's {@link QueryExpansion} when it records one.
     *
     * @param vectors the queries, as extracted
     * @param topN how many matches per query, at least 1
     * @return one list per query, nearest first
     */
    public List<List<Match>> searchStore(float[][] vectors, int topN) {
        Optional<QueryExpansion> expansion = store.schema().settings().expansion();
        return expansion.isPresent() ? expansion.get().search(store, vectors, topN) : store.search(vectors, topN);
    }

    private List<ImageMatch> toImageMatches(List<Match> matches) {
        List<ImageMatch> result = new ArrayList<>(matches.size());
        for (Match match : matches) {
            result.add(new ImageMatch(ids.pathOf(match.id()), match.distance()));
        }
        return List.copyOf(result);
    }

    /**
     * The id under which a store keys an image file: its path relative to the root the store records (resolved
     * against the folder that holds the store), or, for a store without a root, its absolute path. Code that writes
     * vectors of image files into a store itself uses it so that a later {@link #indexFolder} finds them.
     *
     * @param spec the store's spec (it locates the folder a relative root is resolved against)
     * @param schema the store's schema, with the root property where the store has one
     * @param file the image file
     * @return the id
     */
    public static String idOf(StoreSpec spec, StoreSchema schema, Path file) {
        return idsOf(schema, spec.homeFolder()).idOf(file);
    }

    /**
     * The image file a store's id names: the inverse of {@link #idOf(StoreSpec, StoreSchema, Path)}, for code that
     * reads a store's {@link org.cnnkit.retrieval.Match} ids itself.
     *
     * @param spec the store's spec (it locates the folder a relative root is resolved against)
     * @param schema the store's schema, with the root property where the store has one
     * @param id an id of the store
     * @return the file
     */
    public static Path pathOf(StoreSpec spec, StoreSchema schema, String id) {
        return idsOf(schema, spec.homeFolder()).pathOf(id);
    }

    private static ImageIds idsOf(StoreSchema schema, Optional<Path> home) {
        String root = schema.properties().get(ROOT_PROPERTY);
        if (root == null) {
            return ImageIds.absolute();
        }
        Path path = Path.of(root);
        if (path.isAbsolute() || home.isEmpty()) {
            return ImageIds.relativeTo(path);
        }
        return ImageIds.relativeTo(home.get().resolve(path));
    }

    private static void requireCompatible(VectorStore store, ExtractorIdentity identity) {
        StoreSchema schema = store.schema();
        if (schema.identity().isPresent() && !schema.identity().get().equals(identity)) {
            throw new CnnkitException("the store " + store + " was built with extractor ["
                    + schema.identity().get().describe() + "] but the vectors come from [" + identity.describe()
                    + "]: rebuild the store or use the same extractor");
        }
        if (schema.dimension() != identity.dimension()) {
            throw new CnnkitException("the store " + store + " holds " + schema.dimension() + "-d vectors but "
                    + "extractor [" + identity.describe() + "] gives " + identity.dimension() + "-d vectors");
        }
    }

    private static StoreSpec exactSpec(Path indexFile) {
        return new StoreSpec(StoreSpec.Kind.EXACT, indexFile.toString());
    }

    private static String stampOf(Path file) {
        try {
            return Files.size(file) + ":" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return "unreadable:" + e.getClass().getSimpleName();
        }
    }

    /**
     * One indexed image similar to a query.
     *
     * @param file the indexed image file
     * @param distance its distance to the query (see {@link FeatureIndex} for the units)
     */
    public record ImageMatch(Path file, float distance) {

        /**
         * Validates the match.
         *
         * @param file the indexed image file
         * @param distance its distance to the query (see {@link FeatureIndex} for the units)
         * @throws NullPointerException if {@code file} is null
         */
        public ImageMatch {
            Objects.requireNonNull(file, "file");
        }
    }

    /**
     * The matches of one query image.
     *
     * @param query the query file
     * @param matches the most similar indexed images, nearest first
     */
    public record QueryResult(Path query, List<ImageMatch> matches) {

        /**
         * Validates and copies the result.
         *
         * @param query the query file
         * @param matches the most similar indexed images, nearest first
         * @throws NullPointerException if a field is null
         */
        public QueryResult {
            Objects.requireNonNull(query, "query");
            matches = List.copyOf(matches);
        }
    }

    /**
     * The matches of several query images of which some may be unreadable.
     *
     * @param results one result per readable query, in the order given
     * @param skipped the queries that could not be read, with the reason
     */
    public record SearchResult(List<QueryResult> results, List<ExtractionResult.SkippedFile> skipped) {

        /**
         * Copies the lists.
         *
         * @param results one result per readable query, in the order given
         * @param skipped the queries that could not be read, with the reason
         * @throws NullPointerException if a list is null
         */
        public SearchResult {
            results = List.copyOf(results);
            skipped = List.copyOf(skipped);
        }
    }

    /**
     * What one indexing run did.
     *
     * @param indexed files whose features were extracted and stored (new or changed)
     * @param unchanged files already in the index with the same size and modification time
     * @param removed entries dropped because their file is gone or can no longer be read
     * @param skipped unreadable files, with the reason
     * @param total entries in the index afterwards
     * @param elapsed time taken
     */
    public record IndexingReport(int indexed, int unchanged, int removed, List<ExtractionResult.SkippedFile> skipped,
                                 int total, Duration elapsed) {

        /**
         * Copies the list of skipped files.
         *
         * @param indexed files whose features were extracted and stored (new or changed)
         * @param unchanged files already in the index with the same size and modification time
         * @param removed entries dropped because their file is gone or can no longer be read
         * @param skipped unreadable files, with the reason
         * @param total entries in the index afterwards
         * @param elapsed time taken
         * @throws NullPointerException if a field is null
         */
        public IndexingReport {
            skipped = List.copyOf(skipped);
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }
}
