package org.cnnkit.retrieval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * Alpha-weighted query expansion with near-duplicate pinning, a search option saved with a store (the schema property
 * {@value #PROPERTY}). Every search starts with one search of the store: its nearest entry is kept first (pinned)
 * when it is a clear near-duplicate ("this exact photo"): its distance is at most {@code pinRatio} times the distance
 * to the {@value #PIN_REFERENCE_RANK}th entry. The rest of the ranking ("photos like it") comes from an expanded
 * query: the query plus its {@code neighbours} nearest entries, each weighted by its cosine similarity to the query
 * raised to {@code alpha}.
 *
 * <p>Two ways to rank with the expanded query, told apart by {@code pool}:
 * <ul>
 *   <li>{@code pool = 0} (stores written before the re-ranking existed): a second search of the whole store with the
 *       expanded query, in the store's whole search space ({@code rankShare} must then be 1);</li>
 *   <li>{@code pool > 0}: the first search returns the query's {@code max(k, pool)} nearest entries, and they are
 *       re-ranked by their distance to the expanded query in the <em>leading</em> {@code rankShare} of the search
 *       space's dimensions (at least {@value #MIN_RANK_DIMENSIONS}, or all of a smaller space), each vector cut to those dimensions and L2-normalised. The leading dimensions of a PCA
 *       space are its principal components in order, so the ranking uses the few directions that carry the class
 *       structure, while the first search and the pinning use the whole space, whose trailing directions tell a
 *       photo from its copy. It needs no second search.</li>
 * </ul>
 *
 * <p>It only needs {@link VectorStore#search}, {@link VectorStore#searchInSpace} and {@link VectorStore#spaceVectors},
 * so it works the same with every store.
 *
 * @param neighbours how many of the first search's entries expand the query, at least 1
 * @param alpha the exponent of the similarity weights, at least 0 (0: plain average query expansion)
 * @param pinRatio the near-duplicate ratio in [0, 1] (0: never pin)
 * @param rankShare the share of the search space's leading dimensions the re-ranking compares, in (0, 1]
 * @param pool how many of the first search's entries are re-ranked at least, 0 for a second search instead
 */
public record QueryExpansion(int neighbours, double alpha, double pinRatio, double rankShare, int pool) {

    /** The store schema property that records the expansion, as {@link #toProperty()} writes it. */
    public static final String PROPERTY = "search.expansion";

    /** The rank whose distance the pinning ratio compares the nearest entry's distance with. */
    public static final int PIN_REFERENCE_RANK = 10;

    /** The fewest leading dimensions the re-ranking compares (all of them in a smaller search space). */
    public static final int MIN_RANK_DIMENSIONS = 16;

    /** The largest re-ranking pool. */
    public static final int MAX_POOL = 10_000;

    /**
     * Validates the parameters.
     *
     * @param neighbours how many entries expand the query, at least 1
     * @param alpha the weights' exponent, at least 0
     * @param pinRatio the near-duplicate ratio in [0, 1]
     * @param rankShare the share of leading dimensions the re-ranking compares, in (0, 1]
     * @param pool how many entries are re-ranked at least, 0 to {@value #MAX_POOL} (0: a second search)
     * @throws CnnkitException if a parameter is out of range, or {@code rankShare < 1} without a pool
     */
    public QueryExpansion {
        if (neighbours < 1 || neighbours > 100) {
            throw new CnnkitException("query expansion takes 1 to 100 neighbours, got " + neighbours);
        }
        if (!(alpha >= 0 && alpha <= 100)) {
            throw new CnnkitException("the query expansion exponent must be in [0, 100], got " + alpha);
        }
        if (!(pinRatio >= 0 && pinRatio <= 1)) {
            throw new CnnkitException("the near-duplicate pinning ratio must be in [0, 1], got " + pinRatio);
        }
        if (!(rankShare > 0 && rankShare <= 1)) {
            throw new CnnkitException("the share of dimensions the expansion ranks with must be in (0, 1], got "
                    + rankShare);
        }
        if (pool < 0 || pool > MAX_POOL) {
            throw new CnnkitException("the re-ranking pool must be 0 to " + MAX_POOL + " entries, got " + pool);
        }
        if (pool == 0 && rankShare < 1) {
            throw new CnnkitException("ranking with " + rankShare + " of the dimensions needs a re-ranking pool"
                    + " (pool > 0): a second search of the store compares all of them");
        }
    }

    /**
     * An expansion ranked by a second search of the whole store in the whole search space (the only kind before
     * re-ranking existed; what a store property without {@code rank} and {@code pool} means).
     *
     * @param neighbours how many entries expand the query, at least 1
     * @param alpha the weights' exponent, at least 0
     * @param pinRatio the near-duplicate ratio in [0, 1]
     * @throws CnnkitException if a parameter is out of range
     */
    public QueryExpansion(int neighbours, double alpha, double pinRatio) {
        this(neighbours, alpha, pinRatio, 1, 0);
    }

    /**
     * Returns the library's default: 10 neighbours, alpha 3, pinning ratio 1 (the first search's nearest entry is
     * always kept first), the first search's 30 nearest entries (or k, if more) re-ranked in the leading quarter of
     * the search space's dimensions. On Corel-1K with the default transforms it ranks classes better than an
     * expansion in the whole space under both leave-one-out and split halves, keeps near-duplicate recall, and costs
     * one search per query (see docs/retrieval.md).
     *
     * @return the default expansion
     */
    public static QueryExpansion defaults() {
        return new QueryExpansion(10, 3, 1, 0.25, 30);
    }

    /**
     * Returns the property value, such as {@code alpha-qe neighbours=10 alpha=3.0 pin=1.0 rank=0.25 pool=30}; an
     * expansion without a pool is written as before re-ranking existed ({@code alpha-qe neighbours=5 alpha=3.0
     * pin=1.0}), so that older versions still read it.
     *
     * @return the value
     */
    public String toProperty() {
        String base = String.format(Locale.ROOT, "alpha-qe neighbours=%d alpha=%s pin=%s", neighbours, alpha,
                pinRatio);
        return pool == 0 ? base : base + String.format(Locale.ROOT, " rank=%s pool=%d", rankShare, pool);
    }

    /**
     * Reads a property value written by {@link #toProperty()} (with or without {@code rank} and {@code pool}; without
     * them, the expansion is the second search of the whole store it always was).
     *
     * @param value the value
     * @return the expansion
     * @throws CnnkitException if the value is not one
     */
    public static QueryExpansion parse(String value) {
        String[] parts = value.trim().split("\\s+");
        if ((parts.length != 4 && parts.length != 6) || !parts[0].equals("alpha-qe")) {
            throw new CnnkitException("the store property " + PROPERTY + " '" + value
                    + "' is not 'alpha-qe neighbours=N alpha=A pin=R [rank=S pool=P]'");
        }
        Map<String, String> values = new HashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            if (eq < 1) {
                throw new CnnkitException("the store property " + PROPERTY + " '" + value + "' has no value in '"
                        + parts[i] + "'");
            }
            values.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
        }
        try {
            return new QueryExpansion(Integer.parseInt(values.getOrDefault("neighbours", "")),
                    Double.parseDouble(values.getOrDefault("alpha", "")),
                    Double.parseDouble(values.getOrDefault("pin", "")),
                    parts.length == 4 ? 1 : Double.parseDouble(values.getOrDefault("rank", "")),
                    parts.length == 4 ? 0 : Integer.parseInt(values.getOrDefault("pool", "")));
        } catch (NumberFormatException e) {
            throw new CnnkitException("the store property " + PROPERTY + " '" + value + "' has a bad number", e);
        }
    }

    @Override
    public String toString() {
        String base = String.format(Locale.ROOT, "alpha-QE(%d, %s) + pin(%s)", neighbours, trim(alpha),
                trim(pinRatio));
        return pool == 0 ? base : base + String.format(Locale.ROOT, ", re-ranking %d in %s of the dimensions", pool,
                trim(rankShare));
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    /**
     * Searches a store with expanded queries.
     *
     * @param store the store (its pipeline fitted)
     * @param queries vectors as extracted
     * @param k how many matches per query, at least 1
     * @return one list per query, nearest first
     * @throws CnnkitException if a query is invalid or k is below 1
     */
    public List<List<Match>> search(VectorStore store, float[][] queries, int k) {
        Objects.requireNonNull(store, "store");
        if (pool > 0 && queries.length > 0 && store.pipeline().isPresent() && valid(store, queries)) {
            // The queries go through the store's transforms once, and the first search takes them as they are.
            float[][] inSpace = store.pipeline().get().apply(queries);
            if (store.schema().metric() == Metric.COSINE) {
                for (float[] vector : inSpace) {
                    unitLength(vector);
                }
            }
            return reranked(store, inSpace, store.searchInSpace(inSpace, firstDepth(k)), k);
        }
        // The store checks the queries (and fits its transforms if it has not yet).
        List<List<Match>> first = store.search(queries, firstDepth(k));
        if (queries.length == 0 || store.pipeline().isEmpty()) {
            return first;
        }
        float[][] inSpace = store.pipeline().get().apply(queries);
        return pool == 0 ? expand(store, inSpace, first, null, k) : reranked(store, inSpace, first, k);
    }

    /** Whether every query has the store's dimension and finite values (else the store's search says what is wrong). */
    private static boolean valid(VectorStore store, float[][] queries) {
        int dimension = store.schema().dimension();
        for (float[] query : queries) {
            if (query == null || query.length != dimension) {
                return false;
            }
            for (float value : query) {
                if (!Float.isFinite(value)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void unitLength(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += (double) v * v;
        }
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int j = 0; j < vector.length; j++) {
                vector[j] = (float) (vector[j] / norm);
            }
        }
    }

    /**
     * Searches a store with one of its entries ("more like this"), the entry itself left out.
     *
     * @param store the store
     * @param id the stored entry
     * @param k how many matches, at least 1
     * @return the matches, nearest first
     * @throws CnnkitException if the id is not stored or k is below 1
     */
    public List<Match> searchById(VectorStore store, String id, int k) {
        Objects.requireNonNull(store, "store");
        List<Match> first = store.searchById(id, firstDepth(k));
        float[] own = store.spaceVectors(List.of(id)).get(id);
        if (own == null) {
            throw new CnnkitException("the store " + store + " holds no entry '" + id + "' to search with");
        }
        return pool == 0 ? expand(store, new float[][] {own}, List.of(first), id, k).get(0)
                : reranked(store, new float[][] {own}, List.of(first), k).get(0);
    }

    private int firstDepth(int k) {
        return Math.max(Math.max(k, pool), Math.max(neighbours, PIN_REFERENCE_RANK));
    }

    /** Re-ranks each query's first matches by their distance to its expanded query in the leading dimensions. */
    private List<List<Match>> reranked(VectorStore store, float[][] inSpace, List<List<Match>> first, int k) {
        java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
        for (List<Match> matches : first) {
            for (Match match : matches) {
                wanted.add(match.id());
            }
        }
        Map<String, float[]> stored = store.spaceVectors(wanted);
        List<List<Match>> results = new ArrayList<>(inSpace.length);
        for (int q = 0; q < inSpace.length; q++) {
            results.add(reranked(inSpace[q], first.get(q), stored, k));
        }
        return results;
    }

    private List<Match> reranked(float[] query, List<Match> first, Map<String, float[]> stored, int k) {
        int dims = rankDimensions(query.length);
        float[] head = unitHead(query, dims);
        double[] sum = new double[dims];
        for (int j = 0; j < dims; j++) {
            sum[j] = head[j];
        }
        List<Match> candidates = new ArrayList<>(first.size());
        List<float[]> heads = new ArrayList<>(first.size());
        for (Match match : first) {
            float[] x = stored.get(match.id());
            if (x != null && x.length == query.length) {
                candidates.add(match);
                heads.add(unitHead(x, dims));
            }
        }
        for (int i = 0; i < Math.min(neighbours, heads.size()); i++) {
            float[] x = heads.get(i);
            double dot = 0;
            for (int j = 0; j < dims; j++) {
                dot += (double) head[j] * x[j];
            }
            double weight = Math.pow(Math.max(dot, 0), alpha);
            for (int j = 0; j < dims; j++) {
                sum[j] += weight * x[j];
            }
        }
        double norm = 0;
        for (double v : sum) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        double[] expanded = new double[dims];
        for (int j = 0; j < dims; j++) {
            expanded[j] = norm == 0 ? 0 : sum[j] / norm;
        }
        List<Match> scored = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            float[] x = heads.get(i);
            double squared = 0;
            for (int j = 0; j < dims; j++) {
                double d = expanded[j] - x[j];
                squared += d * d;
            }
            scored.add(new Match(candidates.get(i).id(), (float) Math.sqrt(squared)));
        }
        // A stable sort: equal distances keep the first search's order.
        scored.sort(java.util.Comparator.comparingDouble(Match::distance));
        return ranked(first, scored, null, k);
    }

    /**
     * How many leading dimensions of a search space of this dimension the re-ranking compares: the {@code rankShare}
     * of them, but never fewer than {@value #MIN_RANK_DIMENSIONS} (all of a smaller space): a handful of directions
     * cannot keep classes apart (one, cut and normalised, is only a sign).
     */
    int rankDimensions(int spaceDimension) {
        int share = (int) Math.round(rankShare * spaceDimension);
        return Math.min(spaceDimension, Math.max(MIN_RANK_DIMENSIONS, share));
    }

    /** The first {@code dims} values of a vector, L2-normalised (all zeros stay zeros). */
    private static float[] unitHead(float[] x, int dims) {
        double norm = 0;
        for (int j = 0; j < dims; j++) {
            norm += (double) x[j] * x[j];
        }
        norm = Math.sqrt(norm);
        float[] head = new float[dims];
        for (int j = 0; j < dims; j++) {
            head[j] = norm == 0 ? 0f : (float) (x[j] / norm);
        }
        return head;
    }

    private List<List<Match>> expand(VectorStore store, float[][] inSpace, List<List<Match>> first, String exclude,
                                     int k) {
        List<String> wanted = new ArrayList<>();
        for (List<Match> matches : first) {
            for (int i = 0; i < Math.min(neighbours, matches.size()); i++) {
                wanted.add(matches.get(i).id());
            }
        }
        Map<String, float[]> stored = store.spaceVectors(wanted);
        float[][] expanded = new float[inSpace.length][];
        for (int q = 0; q < inSpace.length; q++) {
            expanded[q] = expanded(inSpace[q], first.get(q), stored);
        }
        int depth = exclude == null ? k : k + 1;
        List<List<Match>> second = store.searchInSpace(expanded, depth);
        List<List<Match>> results = new ArrayList<>(inSpace.length);
        for (int q = 0; q < inSpace.length; q++) {
            results.add(ranked(first.get(q), second.get(q), exclude, k));
        }
        return results;
    }

    /** The query plus its neighbours weighted by similarity^alpha, scaled back to the query's length. */
    private float[] expanded(float[] query, List<Match> first, Map<String, float[]> stored) {
        double queryNorm = norm(query);
        double[] sum = new double[query.length];
        for (int j = 0; j < query.length; j++) {
            sum[j] = query[j];
        }
        for (int i = 0; i < Math.min(neighbours, first.size()); i++) {
            float[] x = stored.get(first.get(i).id());
            if (x == null || x.length != query.length) {
                continue;
            }
            double dot = 0;
            for (int j = 0; j < x.length; j++) {
                dot += (double) query[j] * x[j];
            }
            double xNorm = norm(x);
            double similarity = queryNorm == 0 || xNorm == 0 ? 0 : dot / (queryNorm * xNorm);
            double weight = Math.pow(Math.max(similarity, 0), alpha) * (xNorm == 0 ? 0 : queryNorm / xNorm);
            for (int j = 0; j < x.length; j++) {
                sum[j] += weight * x[j];
            }
        }
        double sumNorm = 0;
        for (double v : sum) {
            sumNorm += v * v;
        }
        sumNorm = Math.sqrt(sumNorm);
        double scale = sumNorm == 0 ? 1 : queryNorm / sumNorm;
        float[] out = new float[query.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = (float) (sum[j] * scale);
        }
        return out;
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float v : x) {
            s += (double) v * v;
        }
        return Math.sqrt(s);
    }

    /** The second search's ranking, the first search's nearest entry pinned first when it is a clear duplicate. */
    private List<Match> ranked(List<Match> first, List<Match> second, String exclude, int k) {
        List<Match> out = new ArrayList<>(k);
        Match pinned = null;
        if (pinRatio > 0 && !first.isEmpty()) {
            Match nearest = first.get(0);
            int reference = Math.min(PIN_REFERENCE_RANK, first.size()) - 1;
            if (reference > 0 && nearest.distance() <= pinRatio * first.get(reference).distance()) {
                pinned = nearest;
                out.add(nearest);
            }
        }
        for (Match match : second) {
            if (out.size() == k) {
                break;
            }
            if (match.id().equals(exclude) || (pinned != null && match.id().equals(pinned.id()))) {
                continue;
            }
            out.add(match);
        }
        return List.copyOf(out);
    }
}
