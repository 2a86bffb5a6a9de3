package org.cnnkit.retrieval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.data.ImageFolder;
import org.cnnkit.core.data.LabeledImage;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.retrieval.store.ExactVectorStore;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * Measures retrieval quality by leave-one-out: every item of a labelled collection queries all the others
 * through a {@link FeatureIndex} with the given {@link SearchSettings}, and the ranking is scored against the
 * labels ({@link RetrievalMetrics}: mAP, P@1, P@4, P@10, precision at ranks 1 to 20 and the interpolated
 * precision-recall curve). Transforms are fitted on the whole collection, as an
 * index fits them on what it holds. {@link #evaluate(VectorStore, float[][], int[], ProgressListener)} measures a
 * {@link VectorStore} the same way through its own searches, so that an approximate store's real quality is scored.
 */
public final class RetrievalEvaluation {

    private static final int WRITE_BATCH = 10_000;

    private RetrievalEvaluation() {
    }

    /**
     * Evaluates vectors with known labels.
     *
     * @param vectors the collection, all of one dimension
     * @param labels one label per vector
     * @param settings the metric and transforms to evaluate
     * @return the metrics
     * @throws CnnkitException if there are fewer than 2 vectors, the lengths differ, or a vector is invalid
     */
    public static RetrievalMetrics evaluate(float[][] vectors, int[] labels, SearchSettings settings) {
        Objects.requireNonNull(settings, "settings");
        if (vectors.length != labels.length) {
            throw new CnnkitException(vectors.length + " vectors but " + labels.length + " labels");
        }
        int n = vectors.length;
        if (n < 2) {
            throw new CnnkitException("leave-one-out evaluation needs at least 2 items, got " + n);
        }
        FeatureIndex index = settings.applyTo(FeatureIndex.builder().setDimension(vectors[0].length)
                .optInitialCapacity(n)).build();
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(Integer.toString(i));
        }
        index.addAll(ids, vectors, null);
        index.fit();
        if (settings.expansion().isPresent()) {
            QueryExpansion expansion = settings.expansion().get();
            try (VectorStore store = ExactVectorStore.inMemory(index)) {
                int[][] rankings = new int[n][];
                for (int q = 0; q < n; q++) {
                    rankings[q] = expansion.searchById(store, ids.get(q), n - 1).stream()
                            .mapToInt(m -> Integer.parseInt(m.id())).toArray();
                }
                return scoreRankings(rankings, labels);
            }
        }
        return score(index.pairwiseDistances(), labels);
    }

    /**
     * Evaluates a vector store by leave-one-out: writes the labelled vectors into it (ids {@code 0..n-1}), refits
     * its transforms where it can, then ranks the others for every item with {@link VectorStore#searchById}. For an
     * approximate store this measures what its index really returns.
     *
     * @param store an empty store whose schema fits the vectors
     * @param vectors the collection
     * @param labels one label per vector
     * @param listener receives progress, in queries
     * @return the metrics
     * @throws CnnkitException if there are fewer than 2 vectors, the lengths differ, the store is not empty, or a
     *     vector is invalid
     */
    public static RetrievalMetrics evaluate(VectorStore store, float[][] vectors, int[] labels,
                                            ProgressListener listener) {
        Objects.requireNonNull(store, "store");
        if (vectors.length != labels.length) {
            throw new CnnkitException(vectors.length + " vectors but " + labels.length + " labels");
        }
        int n = vectors.length;
        if (n < 2) {
            throw new CnnkitException("leave-one-out evaluation needs at least 2 items, got " + n);
        }
        if (store.size() != 0) {
            throw new CnnkitException("the store " + store + " to evaluate must be empty, it holds " + store.size()
                    + " vectors");
        }
        for (int from = 0; from < n; from += WRITE_BATCH) {
            StoreBatch.Builder batch = StoreBatch.builder();
            for (int i = from; i < Math.min(n, from + WRITE_BATCH); i++) {
                batch.addPut(Integer.toString(i), vectors[i], null);
            }
            store.write(batch.build());
        }
        store.refit();
        ProgressTracker tracker = ProgressTracker.start("evaluating " + store, n,
                listener == null ? ProgressListener.none() : listener);
        int[][] rankings = new int[n][];
        java.util.Optional<QueryExpansion> expansion = store.schema().settings().expansion();
        for (int q = 0; q < n; q++) {
            List<Match> matches = expansion.isPresent()
                    ? expansion.get().searchById(store, Integer.toString(q), n - 1)
                    : store.searchById(Integer.toString(q), n - 1);
            rankings[q] = matches.stream().mapToInt(m -> Integer.parseInt(m.id())).toArray();
            tracker.advance(1);
        }
        tracker.finish();
        return scoreRankings(rankings, labels);
    }

    /** Scores leave-one-out rankings given all pairwise distances, {@code [n][n]}, and the labels. */
    static RetrievalMetrics score(float[][] distances, int[] labels) {
        int n = labels.length;
        int[][] rankings = new int[n][];
        Integer[] order = new Integer[n];
        for (int q = 0; q < n; q++) {
            float[] row = distances[q];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> {
                int byDistance = Float.compare(row[a], row[b]);
                return byDistance != 0 ? byDistance : Integer.compare(a, b);
            });
            int[] ranking = new int[n - 1];
            int position = 0;
            for (int item : order) {
                if (item != q) {
                    ranking[position++] = item;
                }
            }
            rankings[q] = ranking;
        }
        return scoreRankings(rankings, labels);
    }

    /**
     * Scores leave-one-out rankings: {@code rankings[q]} lists the other items for query {@code q}, nearest first
     * (an item left out of a ranking counts as never retrieved). Returns mAP, the precision at ranks 1 to
     * {@link RetrievalMetrics#MAX_RANK} and the interpolated precision-recall curve, all averaged over the queries.
     */
    static RetrievalMetrics scoreRankings(int[][] rankings, int[] labels) {
        int n = labels.length;
        int[][] others = new int[n][];
        for (int q = 0; q < n; q++) {
            final int query = q;
            others[q] = java.util.Arrays.stream(rankings[q]).filter(item -> item != query).toArray();
        }
        Map<Integer, Integer> classSizes = classSizes(labels);
        int[] relevant = new int[n];
        for (int q = 0; q < n; q++) {
            relevant[q] = classSizes.get(labels[q]) - 1;
        }
        return scoreRankings(others, labels, labels, relevant);
    }

    private static Map<Integer, Integer> classSizes(int[] labels) {
        Map<Integer, Integer> classSizes = new HashMap<>();
        for (int label : labels) {
            classSizes.merge(label, 1, Integer::sum);
        }
        return classSizes;
    }

    /**
     * Scores rankings of a database: {@code rankings[q]} lists database items (positions in {@code itemLabels}) for
     * query {@code q}, nearest first; an item is relevant when its label is the query's, and {@code relevant[q]} is
     * how many relevant items the database holds (recall's denominator; a query with none counts 0 towards mAP).
     */
    static RetrievalMetrics scoreRankings(int[][] rankings, int[] queryLabels, int[] itemLabels, int[] relevant) {
        int n = queryLabels.length;
        int maxRank = RetrievalMetrics.MAX_RANK;
        int levels = RetrievalMetrics.RECALL_LEVELS;
        double sumAp = 0;
        double[] sumPrecisionAt = new double[maxRank];
        double[] sumInterpolated = new double[levels];
        int[] hitsAt = new int[maxRank];
        double[] bestPrecisionFrom = new double[levels];
        for (int query = 0; query < n; query++) {
            int relevantTotal = relevant[query];
            java.util.Arrays.fill(bestPrecisionFrom, 0);
            int rank = 0;
            int hits = 0;
            double precisionSum = 0;
            for (int item : rankings[query]) {
                rank++;
                if (itemLabels[item] == queryLabels[query]) {
                    hits++;
                    double precision = (double) hits / rank;
                    precisionSum += precision;
                    // This precision is reached at recall hits / relevantTotal: it bounds the interpolated
                    // precision of every level up to that recall.
                    int level = (int) Math.floor((double) hits / relevantTotal * (levels - 1) + 1e-9);
                    bestPrecisionFrom[Math.min(level, levels - 1)] =
                            Math.max(bestPrecisionFrom[Math.min(level, levels - 1)], precision);
                }
                if (rank <= maxRank) {
                    hitsAt[rank - 1] = hits;
                }
            }
            for (int k = rank + 1; k <= maxRank; k++) {
                hitsAt[k - 1] = hits;
            }
            for (int k = 1; k <= maxRank; k++) {
                sumPrecisionAt[k - 1] += (double) hitsAt[k - 1] / k;
            }
            if (relevantTotal > 0) {
                sumAp += precisionSum / relevantTotal;
                double best = 0;
                for (int level = levels - 1; level >= 0; level--) {
                    best = Math.max(best, bestPrecisionFrom[level]);
                    sumInterpolated[level] += best;
                }
            }
        }
        List<Double> precisionAtRanks = new ArrayList<>(maxRank);
        for (double sum : sumPrecisionAt) {
            precisionAtRanks.add(sum / n);
        }
        List<Double> interpolated = new ArrayList<>(levels);
        for (double sum : sumInterpolated) {
            interpolated.add(sum / n);
        }
        return new RetrievalMetrics(sumAp / n, precisionAtRanks.get(0), precisionAtRanks.get(3),
                precisionAtRanks.get(9), n, precisionAtRanks, interpolated);
    }

    /**
     * Evaluates by split halves, the held-out protocol: every class is split in two (its items in collection order,
     * alternately), an index is fitted on one half and queried with every item of the other half, then the reverse.
     * Nothing of a query is in the index it searches, so methods that use the collection (PCA, expansions) are
     * scored on images they were not fitted on. The metrics average all {@code n} queries of both directions.
     *
     * @param vectors the collection, all of one dimension
     * @param labels one label per vector
     * @param settings the metric and transforms to evaluate
     * @return the metrics
     * @throws CnnkitException if there are fewer than 4 vectors, the lengths differ, or a vector is invalid
     */
    public static RetrievalMetrics evaluateHalves(float[][] vectors, int[] labels, SearchSettings settings) {
        Objects.requireNonNull(settings, "settings");
        if (vectors.length != labels.length) {
            throw new CnnkitException(vectors.length + " vectors but " + labels.length + " labels");
        }
        int n = vectors.length;
        if (n < 4) {
            throw new CnnkitException("split-halves evaluation needs at least 4 items, got " + n);
        }
        boolean[] first = halves(labels);
        int[][] rankings = new int[n][];
        int[] relevant = new int[n];
        for (boolean indexed : new boolean[] {true, false}) {
            List<Integer> database = new ArrayList<>();
            List<Integer> queries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                (first[i] == indexed ? database : queries).add(i);
            }
            FeatureIndex index = settings.applyTo(FeatureIndex.builder().setDimension(vectors[0].length)
                    .optInitialCapacity(database.size())).build();
            float[][] rows = new float[database.size()][];
            List<String> ids = new ArrayList<>(database.size());
            Map<Integer, Integer> classCounts = new HashMap<>();
            for (int i = 0; i < database.size(); i++) {
                rows[i] = vectors[database.get(i)];
                ids.add(Integer.toString(database.get(i)));
                classCounts.merge(labels[database.get(i)], 1, Integer::sum);
            }
            index.addAll(ids, rows, null);
            index.fit();
            float[][] queryRows = new float[queries.size()][];
            for (int i = 0; i < queries.size(); i++) {
                queryRows[i] = vectors[queries.get(i)];
            }
            List<List<Match>> found = search(index, settings, queryRows, database.size());
            for (int i = 0; i < queries.size(); i++) {
                int q = queries.get(i);
                rankings[q] = found.get(i).stream().mapToInt(m -> Integer.parseInt(m.id())).toArray();
                relevant[q] = classCounts.getOrDefault(labels[q], 0);
            }
        }
        return scoreRankings(rankings, labels, labels, relevant);
    }

    /** Marks the first half of each class: its 1st, 3rd, 5th... item in collection order. */
    static boolean[] halves(int[] labels) {
        Map<Integer, Integer> seen = new HashMap<>();
        boolean[] first = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            first[i] = seen.merge(labels[i], 1, Integer::sum) % 2 == 1;
        }
        return first;
    }

    /**
     * Measures near-duplicate recall: an index of the collection (transforms fitted on it) is searched with each
     * distorted copy, and the copy's original must come first (recall@1) or among the first 4 (recall@4).
     *
     * @param vectors the collection
     * @param queries the distorted copies of some of its items ({@link NearDuplicateSuite#extract})
     * @param settings the metric and transforms to evaluate
     * @return recall@1 and recall@4, overall and per distortion
     * @throws CnnkitException if the collection is empty or a query names an item outside it
     */
    public static NearDuplicateMetrics nearDuplicates(float[][] vectors, NearDuplicateSuite.Queries queries,
                                                      SearchSettings settings) {
        Objects.requireNonNull(settings, "settings");
        if (vectors.length == 0) {
            throw new CnnkitException("near-duplicate evaluation needs a collection of at least 1 vector");
        }
        FeatureIndex index = settings.applyTo(FeatureIndex.builder().setDimension(vectors[0].length)
                .optInitialCapacity(vectors.length)).build();
        List<String> ids = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            ids.add(Integer.toString(i));
        }
        index.addAll(ids, vectors, null);
        index.fit();
        return NearDuplicateMetrics.score(queries, search(index, settings, queries.vectors(),
                NearDuplicateMetrics.DEPTH), vectors.length);
    }

    /** Searches a fitted index as a store with these settings would: through the query expansion, if any. */
    private static List<List<Match>> search(FeatureIndex index, SearchSettings settings, float[][] queries, int k) {
        if (settings.expansion().isEmpty()) {
            return index.search(queries, k);
        }
        try (VectorStore store = ExactVectorStore.inMemory(index)) {
            return settings.expansion().get().search(store, queries, k);
        }
    }

    /**
     * Measures near-duplicate recall through a store's own searches: the store must hold the collection under ids
     * {@code 0..n-1} (as {@link #evaluate(VectorStore, float[][], int[], ProgressListener)} leaves it).
     *
     * @param store the store holding the collection
     * @param queries the distorted copies
     * @return recall@1 and recall@4, overall and per distortion
     */
    public static NearDuplicateMetrics nearDuplicates(VectorStore store, NearDuplicateSuite.Queries queries) {
        Objects.requireNonNull(store, "store");
        java.util.Optional<QueryExpansion> expansion = store.schema().settings().expansion();
        List<List<Match>> found = expansion.isPresent()
                ? expansion.get().search(store, queries.vectors(), NearDuplicateMetrics.DEPTH)
                : store.search(queries.vectors(), NearDuplicateMetrics.DEPTH);
        return NearDuplicateMetrics.score(queries, found, store.size());
    }

    /**
     * Extracts the features of a labelled folder (one sub-folder per class) and evaluates them.
     * Unreadable images are skipped.
     *
     * @param folder the labelled image folder
     * @param extractor the feature extractor
     * @param settings the metric and transforms to evaluate
     * @param listener receives extraction progress
     * @return the metrics
     * @throws CnnkitException if the folder is missing or has fewer than 2 readable images
     */
    public static RetrievalMetrics evaluate(Path folder, FeatureExtractor extractor, SearchSettings settings,
                                            ProgressListener listener) {
        LabeledFeatures features = LabeledFeatures.extract(folder, extractor, listener);
        return evaluate(features.vectors(), features.labels(), settings);
    }

    /**
     * The features of a labelled folder, extracted once to evaluate several settings.
     *
     * @param files the images that were read
     * @param vectors one vector per file
     * @param labels one class index per file
     * @param classNames the class names, by index
     * @param skipped the unreadable images
     */
    public record LabeledFeatures(List<Path> files, float[][] vectors, int[] labels, List<String> classNames,
                                  List<ExtractionResult.SkippedFile> skipped) {

        /**
         * Extracts the features of every image of a labelled folder.
         *
         * @param folder the folder, one sub-folder per class
         * @param extractor the extractor
         * @param listener receives extraction progress
         * @return the features and labels
         * @throws CnnkitException if the folder is missing or not a labelled image folder
         */
        public static LabeledFeatures extract(Path folder, FeatureExtractor extractor, ProgressListener listener) {
            return extract(ImageFolder.scan(folder), extractor, listener);
        }

        /**
         * Extracts the features of every image of a labelled collection, for example one read from a labels file
         * ({@code org.cnnkit.core.datavec.LabelsFile}).
         *
         * @param images the images and their labels
         * @param extractor the extractor
         * @param listener receives extraction progress
         * @return the features and labels
         */
        public static LabeledFeatures extract(ImageFolder images, FeatureExtractor extractor, ProgressListener listener) {
            Map<Path, Integer> labelOf = new HashMap<>();
            List<Path> paths = new ArrayList<>();
            for (LabeledImage image : images.images()) {
                labelOf.put(image.path(), image.label());
                paths.add(image.path());
            }
            ExtractionResult result = extractor.extractReadable(paths, listener);
            int[] labels = result.files().stream().mapToInt(labelOf::get).toArray();
            return new LabeledFeatures(result.files(), result.vectors(), labels, images.classNames(), result.skipped());
        }
    }
}
