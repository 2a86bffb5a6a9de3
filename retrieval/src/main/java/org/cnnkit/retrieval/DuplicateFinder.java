package org.cnnkit.retrieval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.retrieval.store.VectorStore;

/**
 * Finds groups of near-duplicate images (the same photo cropped a little, rotated, resized, re-saved, brightened) in a
 * {@link VectorStore}. Every entry asks the store for its {@code neighbours} nearest others ("more like this", the
 * store's own nearest-neighbour search, so memory stays proportional to the number of entries, not to its square);
 * a neighbour is a near-duplicate when its distance is at most {@code threshold} times the distance to the farthest of
 * those neighbours (a ratio, so it does not depend on the scale of the store's distances). Pairs are joined into
 * groups (a copy of a copy is in the same group). Groups come largest first.
 *
 * <p>The test is the one the default search's near-duplicate pinning uses ({@link QueryExpansion}): a distance in the
 * store's whole search space against the distance to the 10th nearest entry. Pinning can afford ratio 1 (it has a
 * query, and only reorders one entry); the finder has no query and must not join distinct photos, so its ratio is
 * smaller. The default, {@value #DEFAULT_THRESHOLD}, was calibrated with {@link NearDuplicateSuite} on Corel-1K under
 * the library's default search settings, as the largest ratio keeping distinct photos grouped well below 1%: it
 * grouped 0.6% of distinct Corel-1K photos with another one and 72% of the suite's distorted copies with their
 * original (nearly all downscaled, re-saved and brightened copies, about two thirds of the cropped or rotated ones,
 * few of those distorted in every way at once; see docs/retrieval.md).
 */
public final class DuplicateFinder {

    /** The default ratio threshold. */
    public static final double DEFAULT_THRESHOLD = 0.35;

    /** The default number of neighbours each entry is compared with. */
    public static final int DEFAULT_NEIGHBOURS = 10;

    private final double threshold;
    private final int neighbours;

    private DuplicateFinder(Builder builder) {
        this.threshold = builder.threshold;
        this.neighbours = builder.neighbours;
    }

    /** {@return a builder; every option has a default} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the ratio threshold} */
    public double threshold() {
        return threshold;
    }

    /** {@return how many nearest neighbours each entry is compared with} */
    public int neighbours() {
        return neighbours;
    }

    /**
     * Finds the groups of near-duplicates of a store.
     *
     * @param store the store (at least {@code neighbours + 1} entries for the ratio to mean anything; a smaller store
     *     compares each entry with all the others)
     * @param listener receives progress, in entries
     * @return the groups of two or more entries, largest first (ties by their first id), each group by id
     */
    public List<DuplicateGroup> find(VectorStore store, ProgressListener listener) {
        Objects.requireNonNull(store, "store");
        List<String> ids = new ArrayList<>();
        store.forEachEntry((id, stamp) -> ids.add(id));
        ids.sort(Comparator.naturalOrder());
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            position.put(ids.get(i), i);
        }
        int[] parent = new int[ids.size()];
        for (int i = 0; i < parent.length; i++) {
            parent[i] = i;
        }
        double[] closest = new double[ids.size()];
        java.util.Arrays.fill(closest, Double.NaN);
        ProgressTracker tracker = ProgressTracker.start("finding near-duplicates", ids.size(),
                listener == null ? ProgressListener.none() : listener);
        int k = (int) Math.min(neighbours, Math.max(1, ids.size() - 1));
        for (int i = 0; i < ids.size() && ids.size() > 1; i++) {
            List<Match> matches = store.searchById(ids.get(i), k);
            if (!matches.isEmpty()) {
                double reference = matches.get(matches.size() - 1).distance();
                for (Match match : matches) {
                    Integer other = position.get(match.id());
                    if (other != null && match.distance() <= threshold * reference) {
                        union(parent, i, other);
                        closest[i] = Double.isNaN(closest[i]) ? match.distance() : Math.min(closest[i], match.distance());
                        closest[other] = Double.isNaN(closest[other]) ? match.distance()
                                : Math.min(closest[other], match.distance());
                    }
                }
            }
            tracker.advance(1);
        }
        tracker.finish();
        Map<Integer, List<Member>> members = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            members.computeIfAbsent(find(parent, i), r -> new ArrayList<>())
                    .add(new Member(ids.get(i), Double.isNaN(closest[i]) ? 0 : closest[i]));
        }
        List<DuplicateGroup> groups = new ArrayList<>();
        for (List<Member> group : members.values()) {
            if (group.size() > 1) {
                groups.add(new DuplicateGroup(group));
            }
        }
        groups.sort(Comparator.comparingInt((DuplicateGroup g) -> -g.members().size())
                .thenComparing(g -> g.members().get(0).id()));
        return groups;
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }

    /**
     * A group of near-duplicates.
     *
     * @param members the entries, by id, at least two
     */
    public record DuplicateGroup(List<Member> members) {

        /**
         * Copies the members.
         *
         * @param members the entries, by id, at least two
         */
        public DuplicateGroup {
            members = List.copyOf(members);
        }

        /** {@return the members' ids, sorted} */
        public List<String> ids() {
            return members.stream().map(Member::id).toList();
        }
    }

    /**
     * An entry of a group.
     *
     * @param id the entry's id
     * @param distance its distance to its closest near-duplicate, in the store's space
     */
    public record Member(String id, double distance) {
    }

    /** Builds a {@link DuplicateFinder}. */
    public static final class Builder {
        private double threshold = DEFAULT_THRESHOLD;
        private int neighbours = DEFAULT_NEIGHBOURS;

        private Builder() {
        }

        /**
         * Sets the ratio threshold: a neighbour is a near-duplicate when its distance is at most this share of the
         * distance to the farthest of the {@code neighbours} nearest entries.
         *
         * @param threshold in (0, 1] (default 0.35); larger finds more copies and more false pairs
         * @return this builder
         * @throws CnnkitException if outside (0, 1]
         */
        public Builder optThreshold(double threshold) {
            if (!(threshold > 0 && threshold <= 1)) {
                throw new CnnkitException("the near-duplicate threshold is a ratio in (0, 1], got " + threshold);
            }
            this.threshold = threshold;
            return this;
        }

        /**
         * Sets how many nearest neighbours each entry is compared with (and whose farthest sets the scale).
         *
         * @param neighbours at least 2 (default 10)
         * @return this builder
         * @throws CnnkitException if below 2
         */
        public Builder optNeighbours(int neighbours) {
            if (neighbours < 2) {
                throw new CnnkitException("the duplicate finder needs at least 2 neighbours per entry, got "
                        + neighbours);
            }
            this.neighbours = neighbours;
            return this;
        }

        /** {@return the finder} */
        public DuplicateFinder build() {
            return new DuplicateFinder(this);
        }
    }
}
