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
import java.util.Set;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFiles;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.core.progress.ProgressTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image retrieval in a few calls: index the images of a folder tree with a {@link FeatureExtractor} into a
 * {@link FeatureIndex}, update it with new or changed files, save it, and find the most similar indexed images
 * for query images.
 *
 * <pre>{@code
 * ImageSearch search = ImageSearch.create(extractor, SearchSettings.defaults());
 * IndexingReport report = search.indexFolder(Path.of("photos"), ProgressListener.none());
 * search.save(Path.of("photos.cfi"));
 * List<ImageMatch> similar = search.search(Path.of("query.jpg"), 4);
 * }</pre>
 *
 * <p>Each indexed file is stored under its absolute, normalised path, with its size and modification time as
 * the entry's stamp: indexing a folder again extracts only new or changed files and drops entries of files
 * that are gone. Unreadable files are skipped and named in the {@link IndexingReport}. Fitted transforms are
 * refitted on the whole collection after each indexing run.
 */
public final class ImageSearch {

    private static final Logger LOG = LoggerFactory.getLogger(ImageSearch.class);
    /** Files handed to the extractor at once; the extractor decodes them one network batch at a time. */
    private static final int FILES_PER_STEP = 64;

    private final FeatureExtractor extractor;
    private final FeatureIndex index;

    private ImageSearch(FeatureExtractor extractor, FeatureIndex index) {
        this.extractor = extractor;
        this.index = index;
    }

    /**
     * Starts an empty search over an extractor's features.
     *
     * @param extractor the feature extractor
     * @param settings the metric and transforms of the new index
     * @return the search
     */
    public static ImageSearch create(FeatureExtractor extractor, SearchSettings settings) {
        Objects.requireNonNull(extractor, "extractor");
        FeatureIndex index = settings.applyTo(FeatureIndex.builder().optExtractor(extractor.identity())).build();
        return new ImageSearch(extractor, index);
    }

    /**
     * Starts an empty search with the extractor a spec describes, and records the spec in the index so that
     * {@link #open(Path, ProgressListener)} can rebuild the extractor.
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
        ImageSearch search = create(spec.create(downloadListener, engine), settings);
        spec.toProperties().forEach(search.index::setProperty);
        return search;
    }

    /**
     * Opens a saved index and rebuilds the extractor recorded in it (see {@link #create(ExtractorSpec,
     * SearchSettings, ProgressListener)}), checking that it is the same one.
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
        FeatureIndex index = FeatureIndex.open(indexFile);
        ExtractorSpec spec = ExtractorSpec.fromProperties(index.properties()).orElseThrow(() -> new CnnkitException(
                "index " + indexFile + " does not record which extractor made it; open it with its extractor"));
        return of(index, spec.create(downloadListener, engine));
    }

    /**
     * Wraps an existing index, checking that it was built with this extractor.
     *
     * @param index the index
     * @param extractor the extractor that made it
     * @return the search
     * @throws CnnkitException if the index records another extractor
     */
    public static ImageSearch of(FeatureIndex index, FeatureExtractor extractor) {
        index.requireCompatible(extractor.identity());
        return new ImageSearch(extractor, index);
    }

    /**
     * Opens a saved index for searching or updating with the extractor that made it.
     *
     * @param indexFile the index file
     * @param extractor the extractor that made it
     * @return the search
     * @throws IndexFileException if the file is missing or damaged
     * @throws CnnkitException if the index records another extractor
     */
    public static ImageSearch open(Path indexFile, FeatureExtractor extractor) {
        return of(FeatureIndex.open(indexFile), extractor);
    }

    /** Returns the underlying index. */
    public FeatureIndex index() {
        return index;
    }

    /** Returns the extractor. */
    public FeatureExtractor extractor() {
        return extractor;
    }

    /**
     * Saves the index atomically.
     *
     * @param file where to save
     * @throws IndexFileException if it cannot be written
     */
    public void save(Path file) {
        index.save(file);
    }

    /**
     * Indexes every image under a folder, recursively: new files are added, changed files (other size or
     * modification time) re-extracted, entries of files under the folder that no longer exist or can no longer
     * be read removed, and unchanged files left alone. Unreadable images are skipped and reported. At most one
     * batch of decoded images is held in memory.
     *
     * @param root the folder
     * @param listener receives extraction progress, in images
     * @return what was done
     * @throws CnnkitException if the folder does not exist or cannot be read
     */
    public IndexingReport indexFolder(Path root, ProgressListener listener) {
        long start = System.nanoTime();
        Path base = root.toAbsolutePath().normalize();
        List<Path> files = ImageFiles.listRecursive(base);
        List<Path> toExtract = new ArrayList<>();
        java.util.Map<Path, String> stamps = new java.util.HashMap<>();
        Set<String> present = new HashSet<>();
        int unchanged = 0;
        for (Path file : files) {
            Path absolute = file.toAbsolutePath().normalize();
            String id = absolute.toString();
            present.add(id);
            String stamp = stampOf(absolute);
            if (stamp.equals(index.stamp(id).orElse(null))) {
                unchanged++;
            } else {
                toExtract.add(absolute);
                stamps.put(absolute, stamp);
            }
        }
        int removed = 0;
        for (String id : index.ids()) {
            if (Path.of(id).startsWith(base) && !present.contains(id)) {
                index.remove(id);
                removed++;
            }
        }
        List<ExtractionResult.SkippedFile> skipped = new ArrayList<>();
        int added = 0;
        ProgressTracker tracker = ProgressTracker.start("indexing " + base, toExtract.size(),
                listener == null ? ProgressListener.none() : listener);
        for (int from = 0; from < toExtract.size(); from += FILES_PER_STEP) {
            int to = Math.min(toExtract.size(), from + FILES_PER_STEP);
            ExtractionResult result = extractor.extractReadable(toExtract.subList(from, to), ProgressListener.none());
            List<String> ids = new ArrayList<>();
            List<String> batchStamps = new ArrayList<>();
            for (Path file : result.files()) {
                String id = file.toString();
                ids.add(id);
                batchStamps.add(stamps.get(file));
                index.remove(id);
            }
            index.addAll(ids, result.vectors(), batchStamps);
            added += ids.size();
            skipped.addAll(result.skipped());
            for (ExtractionResult.SkippedFile skip : result.skipped()) {
                // A file indexed before that can no longer be read loses its entry: count it as removed.
                if (index.remove(skip.path().toString())) {
                    removed++;
                }
                LOG.warn("skipped {}: {}", skip.path(), skip.reason());
            }
            tracker.advance(to - from);
        }
        tracker.finish();
        if (!index.transforms().isEmpty() && index.size() > 0 && (added > 0 || removed > 0 || !index.isFitted())) {
            index.fit();
        }
        return new IndexingReport(added, unchanged, removed, skipped, index.size(),
                Duration.ofNanos(System.nanoTime() - start));
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
        List<List<Match>> matches = index.search(vectors, topN);
        List<QueryResult> results = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            results.add(new QueryResult(queries.get(i), toImageMatches(matches.get(i))));
        }
        return results;
    }

    /**
     * Finds the indexed images most similar to a decoded image.
     *
     * @param query the query image
     * @param topN how many matches, at least 1
     * @return the matches, nearest first
     */
    public List<ImageMatch> search(BufferedImage query, int topN) {
        return toImageMatches(index.search(extractor.extract(query), topN));
    }

    private static List<ImageMatch> toImageMatches(List<Match> matches) {
        List<ImageMatch> result = new ArrayList<>(matches.size());
        for (Match match : matches) {
            result.add(new ImageMatch(Path.of(match.id()), match.distance()));
        }
        return List.copyOf(result);
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
         * @throws NullPointerException if a field is null
         */
        public QueryResult {
            Objects.requireNonNull(query, "query");
            matches = List.copyOf(matches);
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
         * @throws NullPointerException if a field is null
         */
        public IndexingReport {
            skipped = List.copyOf(skipped);
            Objects.requireNonNull(elapsed, "elapsed");
        }
    }
}
