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
 * {@value #PROPERTY}). A search runs twice in the store's search space: the first search finds the query's nearest
 * entries; the expanded query is the query plus its {@code neighbours} nearest entries, each weighted by its cosine
 * similarity to the query raised to {@code alpha}; the second search with it gives the ranking. The expansion pulls
 * the ranking towards the query's class ("photos like it"), and can move the exact photo a query is a copy of down a
 * rank; so the first search's nearest entry is kept first (pinned) when it is a clear near-duplicate: its distance
 * is at most {@code pinRatio} times the distance to the first search's {@value #PIN_REFERENCE_RANK}th entry.
 *
 * <p>It only needs {@link VectorStore#searchInSpace} and {@link VectorStore#spaceVectors}, so it works the same with
 * every store. It costs one more search and one read of {@code neighbours} stored vectors per query.
 *
 * @param neighbours how many of the first search's entries expand the query, at least 1
 * @param alpha the exponent of the similarity weights, at least 0 (0: plain average query expansion)
 * @param pinRatio the near-duplicate ratio in [0, 1] (0: never pin)
 */
public record QueryExpansion(int neighbours, double alpha, double pinRatio) {

    /** The store schema property that records the expansion, as {@link #toProperty()} writes it. */
    public static final String PROPERTY = "search.expansion";

    /** The rank whose distance the pinning ratio compares the nearest entry's distance with. */
    public static final int PIN_REFERENCE_RANK = 10;

    /**
     * Validates the parameters.
     *
     * @param neighbours how many entries expand the query, at least 1
     * @param alpha the weights' exponent, at least 0
     * @param pinRatio the near-duplicate ratio in [0, 1]
     * @throws CnnkitException if a parameter is out of range
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
    }

    /**
     * Returns the library's default: 5 neighbours, alpha 3, pinning ratio 1 (the first search's nearest entry is
     * always kept first: on the near-duplicate suite every larger ratio pinned more copies and cost no mAP; see
     * docs/retrieval.md).
     *
     * @return the default expansion
     */
    public static QueryExpansion defaults() {
        return new QueryExpansion(5, 3, 1);
    }

    /** {@return the property value, such as {@code alpha-qe neighbours=5 alpha=3.0 pin=0.7}} */
    public String toProperty() {
        return String.format(Locale.ROOT, "alpha-qe neighbours=%d alpha=%s pin=%s", neighbours, alpha, pinRatio);
    }

    /**
     * Reads a property value written by {@link #toProperty()}.
     *
     * @param value the value
     * @return the expansion
     * @throws CnnkitException if the value is not one
     */
    public static QueryExpansion parse(String value) {
        String[] parts = value.trim().split("\\s+");
        if (parts.length != 4 || !parts[0].equals("alpha-qe")) {
            throw new CnnkitException("the store property " + PROPERTY + " '" + value
                    + "' is not 'alpha-qe neighbours=N alpha=A pin=R'");
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
                    Double.parseDouble(values.getOrDefault("pin", "")));
        } catch (NumberFormatException e) {
            throw new CnnkitException("the store property " + PROPERTY + " '" + value + "' has a bad number", e);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "alpha-QE(%d, %s) + pin(%s)", neighbours, trim(alpha), trim(pinRatio));
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
        List<List<Match>> first = store.search(queries, firstDepth(k));
        if (queries.length == 0 || store.pipeline().isEmpty()) {
            return first;
        }
        float[][] inSpace = store.pipeline().get().apply(queries);
        return expand(store, inSpace, first, null, k);
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
        return expand(store, new float[][] {own}, List.of(first), id, k).get(0);
    }

    private int firstDepth(int k) {
        return Math.max(k, Math.max(neighbours, PIN_REFERENCE_RANK));
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
