package org.cnnkit.retrieval;

import java.awt.image.BufferedImage;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.ImageDecoder;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.core.progress.ProgressTracker;
import org.cnnkit.retrieval.store.VectorStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds groups of near-duplicate images (the same photo cropped a little, rotated, resized, re-saved, brightened) in a
 * {@link VectorStore}, in two steps.
 *
 * <ol>
 *   <li><b>Candidates</b>: every entry asks the store for its {@code neighbours} nearest others ("more like this", the
 *   store's own nearest-neighbour search, so memory stays proportional to the number of entries, not to its square).
 *   A neighbour is a candidate when its distance is at most {@code candidateRatio} times the distance to the farthest
 *   of those neighbours; the default, {@value #DEFAULT_CANDIDATE_RATIO}, keeps every neighbour.</li>
 *   <li><b>Decision, on the pixels</b> when the images can be read: both images are reduced to 64x64 grey thumbnails
 *   (cached, up to {@code thumbnailCache} of them), one is aligned onto the other by a similarity transform (scale,
 *   rotation, translation) with a gain and a bias (inverse-compositional Gauss-Newton, coarse to fine, a few starting
 *   scales, both ways), and the pair is a near-duplicate when the normalised cross-correlation of the aligned pixels
 *   over their overlap is at least {@code minCorrelation}. Global features cannot tell a copy cropped or rotated a
 *   little from a distinct photo of the same scene type; the aligned pixels can. When the images cannot be read
 *   (no image source, or the store's files are missing), the decision falls back to the <b>features alone</b>: a
 *   candidate is a near-duplicate when its distance is at most {@code threshold} times the distance to the farthest
 *   neighbour, and {@link Result#decision()} says so.</li>
 * </ol>
 *
 * <p>Pairs are joined into groups (a copy of a copy is in the same group). Groups come largest first. The defaults were
 * calibrated with {@link NearDuplicateSuite} on Corel-1K under the library's default search settings: on pixels they
 * grouped all 600 distorted copies of the suite with their originals and 2 of the 1,000 distinct photos (a pair that
 * is the same photograph), against 71% of the copies and 6 photos on features (see docs/retrieval.md, "Finding
 * duplicates"). The candidate pairs of an entry are verified in parallel (the common
 * fork-join pool), so an image source is called from several threads. Immutable; safe for many threads.
 */
public final class DuplicateFinder {

    private static final Logger LOG = LoggerFactory.getLogger(DuplicateFinder.class);

    /** The default ratio threshold of the feature-only decision. */
    public static final double DEFAULT_THRESHOLD = 0.35;

    /** The default number of neighbours each entry is compared with. */
    public static final int DEFAULT_NEIGHBOURS = 10;

    /** The default candidate ratio: every one of the {@code neighbours} nearest entries is verified on its pixels. */
    public static final double DEFAULT_CANDIDATE_RATIO = 1.0;

    /** The default least normalised cross-correlation of the aligned thumbnails of a near-duplicate pair. */
    public static final double DEFAULT_MIN_CORRELATION = 0.95;

    /** The default number of thumbnails kept in memory (about 4 KB each). */
    public static final int DEFAULT_THUMBNAIL_CACHE = 8192;

    /** How far below {@code minCorrelation} a pair's coarse (16x16) correlation may be and still be refined. */
    private static final double COARSE_MARGIN = 0.25;

    private final double threshold;
    private final int neighbours;
    private final double candidateRatio;
    private final double minCorrelation;
    private final int thumbnailCache;

    private DuplicateFinder(Builder builder) {
        this.threshold = builder.threshold;
        this.neighbours = builder.neighbours;
        this.candidateRatio = builder.candidateRatio;
        this.minCorrelation = builder.minCorrelation;
        this.thumbnailCache = builder.thumbnailCache;
    }

    /** {@return a builder; every option has a default} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return the ratio threshold of the feature-only decision} */
    public double threshold() {
        return threshold;
    }

    /** {@return how many nearest neighbours each entry is compared with} */
    public int neighbours() {
        return neighbours;
    }

    /** {@return the ratio under which a neighbour is a candidate for the pixel test} */
    public double candidateRatio() {
        return candidateRatio;
    }

    /** {@return the least aligned normalised cross-correlation of a near-duplicate pair} */
    public double minCorrelation() {
        return minCorrelation;
    }

    /** {@return how many thumbnails are kept in memory} */
    public int thumbnailCache() {
        return thumbnailCache;
    }

    /**
     * Finds the groups of near-duplicates of a store on its features alone (the store holds no images): the decision
     * is the ratio test at {@link #threshold()}.
     *
     * @param store the store (at least {@code neighbours + 1} entries for the ratio to mean anything; a smaller store
     *     compares each entry with all the others)
     * @param listener receives progress, in entries
     * @return the groups, decided on features
     */
    public Result find(VectorStore store, ProgressListener listener) {
        LOG.info("duplicates: no images given, deciding on the features alone (ratio {})", threshold);
        return run(store, null, listener);
    }

    /**
     * Finds the groups of near-duplicates of an image search's store, verified on the images' pixels when the store's
     * files can be read (its first entry's file is tried), else on the features alone (with a log line saying why).
     *
     * @param search the search whose store and image files are used
     * @param listener receives progress, in entries
     * @return the groups; {@link Result#decision()} tells which test decided
     */
    public Result find(ImageSearch search, ProgressListener listener) {
        Objects.requireNonNull(search, "search");
        String[] first = {null};
        search.store().forEachEntry((id, stamp) -> {
            if (first[0] == null || id.compareTo(first[0]) < 0) {
                first[0] = id;
            }
        });
        if (first[0] != null) {
            Path file = search.fileOf(first[0]);
            if (!Files.isReadable(file)) {
                LOG.info("duplicates: the store's images cannot be read (first: {}); deciding on the features alone "
                        + "(ratio {}); give the image root to verify on the pixels", file, threshold);
                return run(search.store(), null, listener);
            }
        }
        ImageDecoder decoder = new ImageDecoder();
        return find(search.store(), id -> decoder.read(search.fileOf(id)), listener);
    }

    /**
     * Finds the groups of near-duplicates of a store, each candidate pair verified on the images' pixels. An image the
     * source cannot give (it throws a {@link CnnkitException} or an {@link UncheckedIOException}) is counted in
     * {@link Result#unreadable()} and its pairs are decided on the features alone.
     *
     * @param store the store
     * @param images gives the image of a store id; called from several threads
     * @param listener receives progress, in entries
     * @return the groups, decided on pixels
     */
    public Result find(VectorStore store, Function<String, BufferedImage> images, ProgressListener listener) {
        Objects.requireNonNull(images, "images");
        LOG.info("duplicates: verifying candidate pairs on the images' pixels (aligned correlation >= {})",
                minCorrelation);
        return run(store, images, listener);
    }

    private Result run(VectorStore store, Function<String, BufferedImage> images, ProgressListener listener) {
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
        double[] correlation = new double[ids.size()];
        Arrays.fill(closest, Double.NaN);
        Arrays.fill(correlation, Double.NaN);
        Thumbnails thumbnails = images == null ? null : new Thumbnails(images, thumbnailCache);
        Set<Long> verified = new HashSet<>();
        ProgressTracker tracker = ProgressTracker.start("finding near-duplicates", ids.size(),
                listener == null ? ProgressListener.none() : listener);
        int k = (int) Math.min(neighbours, Math.max(1, ids.size() - 1));
        for (int i = 0; i < ids.size() && ids.size() > 1; i++) {
            List<Match> matches = store.searchById(ids.get(i), k);
            if (matches.isEmpty()) {
                tracker.advance(1);
                continue;
            }
            double reference = matches.get(matches.size() - 1).distance();
            List<Candidate> pending = new ArrayList<>();
            for (Match match : matches) {
                Integer other = position.get(match.id());
                if (other == null || other == i) {
                    continue;
                }
                if (thumbnails == null) {
                    if (match.distance() <= threshold * reference) {
                        join(parent, closest, correlation, i, other, match.distance(), Double.NaN);
                    }
                } else if (match.distance() <= candidateRatio * reference
                        && verified.add(((long) Math.min(i, other) << 32) | Math.max(i, other))) {
                    pending.add(new Candidate(other, match.distance()));
                }
            }
            // the entry's own image is read here, once, not by each of its pairs verified in parallel
            PixelAlignment.Thumbnail own = pending.isEmpty() ? null : thumbnails.of(ids.get(i));
            double[] scores = pending.parallelStream()
                    .mapToDouble(c -> thumbnails.correlation(own, ids.get(c.other()), minCorrelation - COARSE_MARGIN))
                    .toArray();
            for (int c = 0; c < scores.length; c++) {
                Candidate candidate = pending.get(c);
                boolean duplicate = Double.isNaN(scores[c]) ? candidate.distance() <= threshold * reference
                        : scores[c] >= minCorrelation;
                if (duplicate) {
                    join(parent, closest, correlation, i, candidate.other(), candidate.distance(), scores[c]);
                }
            }
            tracker.advance(1);
        }
        tracker.finish();
        Map<Integer, List<Member>> members = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            members.computeIfAbsent(find(parent, i), r -> new ArrayList<>()).add(new Member(ids.get(i),
                    Double.isNaN(closest[i]) ? 0 : closest[i], correlation[i]));
        }
        List<DuplicateGroup> groups = new ArrayList<>();
        for (List<Member> group : members.values()) {
            if (group.size() > 1) {
                groups.add(new DuplicateGroup(group));
            }
        }
        groups.sort(Comparator.comparingInt((DuplicateGroup g) -> -g.members().size())
                .thenComparing(g -> g.members().get(0).id()));
        int unreadable = thumbnails == null ? 0 : thumbnails.unreadable();
        if (unreadable > 0) {
            LOG.warn("duplicates: {} image(s) could not be read; their pairs were decided on the features alone",
                    unreadable);
        }
        return new Result(groups, thumbnails == null ? Decision.FEATURES : Decision.PIXELS, verified.size(),
                unreadable);
    }

    /** Joins two entries' groups and keeps, for each, its closest distance and best correlation to a near-duplicate. */
    private static void join(int[] parent, double[] closest, double[] correlation, int a, int b, double distance,
                             double score) {
        union(parent, a, b);
        for (int member : new int[] {a, b}) {
            closest[member] = Double.isNaN(closest[member]) ? distance : Math.min(closest[member], distance);
            if (!Double.isNaN(score)) {
                correlation[member] = Double.isNaN(correlation[member]) ? score : Math.max(correlation[member], score);
            }
        }
    }

    /** A neighbour to verify on its pixels, by position, with its feature distance. */
    private record Candidate(int other, double distance) {
    }

    /**
     * The thumbnails of the store's images, made on first use and kept up to a count (least recently used out); used
     * from several threads.
     */
    private static final class Thumbnails {
        private final Function<String, BufferedImage> images;
        private final Map<String, PixelAlignment.Thumbnail> cache;
        private final Set<String> failed = new HashSet<>();

        Thumbnails(Function<String, BufferedImage> images, int capacity) {
            this.images = images;
            this.cache = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, PixelAlignment.Thumbnail> eldest) {
                    return size() > capacity;
                }
            };
        }

        /**
         * {@return the aligned correlation of a thumbnail and an id's image, or NaN when either is missing (null, or
         * the image cannot be read)}
         */
        double correlation(PixelAlignment.Thumbnail first, String b, double floor) {
            PixelAlignment.Thumbnail second = first == null ? null : of(b);
            return first == null || second == null ? Double.NaN
                    : PixelAlignment.alignedCorrelation(first, second, floor);
        }

        /** {@return the thumbnail of an id's image, or null when it cannot be read} */
        PixelAlignment.Thumbnail of(String id) {
            synchronized (this) {
                PixelAlignment.Thumbnail thumbnail = cache.get(id);
                if (thumbnail != null || failed.contains(id)) {
                    return thumbnail;
                }
            }
            PixelAlignment.Thumbnail thumbnail;
            try {
                thumbnail = PixelAlignment.thumbnail(images.apply(id));
            } catch (CnnkitException | UncheckedIOException e) {
                LOG.warn("duplicates: cannot read the image of {}: {}", id, e.getMessage());
                synchronized (this) {
                    failed.add(id);
                }
                return null;
            }
            synchronized (this) {
                cache.put(id, thumbnail);
            }
            return thumbnail;
        }

        synchronized int unreadable() {
            return failed.size();
        }
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
     * @param correlation the best aligned correlation of its pixels with a near-duplicate's, or NaN when decided on
     *     features
     */
    public record Member(String id, double distance, double correlation) {
    }

    /** Which test decided the pairs. */
    public enum Decision {
        /** The aligned correlation of the images' thumbnails. */
        PIXELS,
        /** The ratio of feature distances alone (the images could not be read). */
        FEATURES;

        /** {@return the name used in reports: {@code pixels} or {@code features}} */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * What {@code find} found.
     *
     * @param groups the groups of two or more entries, largest first (ties by their first id), each group by id
     * @param decision which test decided the pairs
     * @param verifiedPairs how many candidate pairs were aligned on their pixels (0 on features)
     * @param unreadable how many images could not be read (their pairs decided on features)
     */
    public record Result(List<DuplicateGroup> groups, Decision decision, int verifiedPairs, int unreadable) {

        /**
         * Copies the groups.
         *
         * @param groups the groups, largest first
         * @param decision which test decided the pairs
         * @param verifiedPairs how many candidate pairs were aligned on their pixels
         * @param unreadable how many images could not be read
         */
        public Result {
            groups = List.copyOf(groups);
            Objects.requireNonNull(decision, "decision");
        }
    }

    /** Builds a {@link DuplicateFinder}. */
    public static final class Builder {
        private double threshold = DEFAULT_THRESHOLD;
        private int neighbours = DEFAULT_NEIGHBOURS;
        private double candidateRatio = DEFAULT_CANDIDATE_RATIO;
        private double minCorrelation = DEFAULT_MIN_CORRELATION;
        private int thumbnailCache = DEFAULT_THUMBNAIL_CACHE;

        private Builder() {
        }

        /**
         * Sets the ratio threshold of the feature-only decision (used when the images cannot be read): a neighbour is
         * a near-duplicate when its distance is at most this share of the distance to the farthest of the
         * {@code neighbours} nearest entries.
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

        /**
         * Sets the candidate ratio: a neighbour is aligned on its pixels when its distance is at most this share of
         * the distance to the farthest of the {@code neighbours} nearest entries.
         *
         * @param ratio in (0, 1] (default 1: every neighbour); smaller verifies fewer pairs and may miss copies
         * @return this builder
         * @throws CnnkitException if outside (0, 1]
         */
        public Builder optCandidateRatio(double ratio) {
            if (!(ratio > 0 && ratio <= 1)) {
                throw new CnnkitException("the near-duplicate candidate ratio is in (0, 1], got " + ratio);
            }
            this.candidateRatio = ratio;
            return this;
        }

        /**
         * Sets the least normalised cross-correlation of the aligned thumbnails for a pair to be near-duplicates.
         *
         * @param correlation in (0, 1] (default {@value DuplicateFinder#DEFAULT_MIN_CORRELATION}); smaller finds more
         *     copies and more false pairs
         * @return this builder
         * @throws CnnkitException if outside (0, 1]
         */
        public Builder optMinCorrelation(double correlation) {
            if (!(correlation > 0 && correlation <= 1)) {
                throw new CnnkitException("the near-duplicate correlation is in (0, 1], got " + correlation);
            }
            this.minCorrelation = correlation;
            return this;
        }

        /**
         * Sets how many thumbnails (about 4 KB each) are kept in memory; beyond, the least recently used are dropped
         * and decoded again when needed.
         *
         * @param thumbnails at least 2 (default {@value DuplicateFinder#DEFAULT_THUMBNAIL_CACHE})
         * @return this builder
         * @throws CnnkitException if below 2
         */
        public Builder optThumbnailCache(int thumbnails) {
            if (thumbnails < 2) {
                throw new CnnkitException("the duplicate finder's thumbnail cache needs at least 2 entries, got "
                        + thumbnails);
            }
            this.thumbnailCache = thumbnails;
            return this;
        }

        /** {@return the finder} */
        public DuplicateFinder build() {
            return new DuplicateFinder(this);
        }
    }
}
