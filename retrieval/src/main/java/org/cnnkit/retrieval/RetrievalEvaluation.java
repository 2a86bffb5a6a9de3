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
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * Measures retrieval quality by leave-one-out: every item of a labelled collection queries all the others
 * through a {@link FeatureIndex} with the given {@link SearchSettings}, and the ranking is scored against the
 * labels ({@link RetrievalMetrics}: mAP, P@1, P@4, P@10). Transforms are fitted on the whole collection, as an
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
        for (int q = 0; q < n; q++) {
            List<Match> matches = store.searchById(Integer.toString(q), n - 1);
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
     * (an item left out of a ranking counts as never retrieved).
     */
    static RetrievalMetrics scoreRankings(int[][] rankings, int[] labels) {
        int n = labels.length;
        Map<Integer, Integer> classSizes = new HashMap<>();
        for (int label : labels) {
            classSizes.merge(label, 1, Integer::sum);
        }
        double sumAp = 0;
        double sumP1 = 0;
        double sumP4 = 0;
        double sumP10 = 0;
        for (int query = 0; query < n; query++) {
            int relevantTotal = classSizes.get(labels[query]) - 1;
            int rank = 0;
            int hits = 0;
            double precisionSum = 0;
            int hitsAt1 = 0;
            int hitsAt4 = 0;
            int hitsAt10 = 0;
            for (int item : rankings[query]) {
                if (item == query) {
                    continue;
                }
                rank++;
                if (labels[item] == labels[query]) {
                    hits++;
                    precisionSum += (double) hits / rank;
                }
                if (rank == 1) {
                    hitsAt1 = hits;
                }
                if (rank == 4) {
                    hitsAt4 = hits;
                }
                if (rank == 10) {
                    hitsAt10 = hits;
                }
            }
            if (rank < 10) {
                hitsAt10 = hits;
                hitsAt4 = rank < 4 ? hits : hitsAt4;
            }
            sumAp += relevantTotal == 0 ? 0 : precisionSum / relevantTotal;
            sumP1 += hitsAt1;
            sumP4 += hitsAt4 / 4.0;
            sumP10 += hitsAt10 / 10.0;
        }
        return new RetrievalMetrics(sumAp / n, sumP1 / n, sumP4 / n, sumP10 / n, n);
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
            ImageFolder images = ImageFolder.scan(folder);
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
