package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.MergePolicy;
import org.apache.lucene.index.MergeTrigger;
import org.apache.lucene.index.SegmentCommitInfo;
import org.apache.lucene.index.SegmentInfos;

/**
 * The state of a large batch being written without graphs and then given one graph (the store owns one, its
 * codec and merge policy read it).
 *
 * <p>Lucene 9.12 builds a segment's HNSW graph while the documents are added, one vector after another on the
 * indexing thread, and builds it again when segments are merged (keeping only the largest input's graph). For a
 * batch of {@link #MIN_PUTS} puts or more the store instead:
 * <ol>
 *   <li>{@link #begin}s: the codec writes the new segments in Lucene's graph-free
 *       {@code Lucene99ScalarQuantizedVectorsFormat} (a plain Lucene format, registered under Lucene's service lookup,
 *       so the writer reads the segments back) and the merge policy starts no background merge;</li>
 *   <li>adds and flushes the documents, then {@link #graphsFromNowOn()}: the codec writes HNSW again;</li>
 *   <li>force-merges: the merge policy merges exactly the segments flushed by this batch into one, whose graph
 *       Lucene's concurrent merge builds from scratch on the store's merge workers (no input has a graph to start
 *       from), once, with every worker inserting;</li>
 *   <li>{@link #end}s and commits. The graph-free segments are never committed: searches (which see commits only)
 *       and the index on disk only ever hold HNSW segments.</li>
 * </ol>
 */
final class BulkLoad {

    /** The smallest batch written this way (smaller ones are indexed with their graph as they are added). */
    static final int MIN_PUTS = 10_000;

    private volatile boolean flatSegments;
    private volatile Set<String> committedSegments;
    private volatile boolean mergeTaken;

    /**
     * Starts a bulk load: new segments are written without graphs and no background merge starts.
     *
     * @param committed the names of the segments of the last commit (the segments not to merge)
     */
    void begin(Set<String> committed) {
        committedSegments = Set.copyOf(committed);
        mergeTaken = false;
        flatSegments = true;
    }

    /** Makes the codec write HNSW segments again (the merged segment of the load gets its graph). */
    void graphsFromNowOn() {
        flatSegments = false;
    }

    /** Ends the bulk load (also after a failure): HNSW segments and background merges as usual. */
    void end() {
        flatSegments = false;
        committedSegments = null;
    }

    /** Whether new segments are written without a graph now. */
    boolean flatSegments() {
        return flatSegments;
    }

    /**
     * Wraps a merge policy: while a bulk load runs, no background merge, and a forced merge takes exactly the
     * segments flushed since the load began.
     *
     * @param policy the merge policy used outside bulk loads
     * @return the merge policy for the writer
     */
    MergePolicy mergePolicy(MergePolicy policy) {
        return new BulkMergePolicy(policy, this);
    }

    /** The merge of a bulk load's segments, once, or null. */
    private MergePolicy.MergeSpecification bulkMerge(SegmentInfos infos, MergePolicy.MergeContext context) {
        Set<String> committed = committedSegments;
        if (mergeTaken) {
            return null;
        }
        mergeTaken = true;
        List<SegmentCommitInfo> fresh = new ArrayList<>();
        Set<SegmentCommitInfo> merging = context.getMergingSegments();
        for (SegmentCommitInfo info : infos) {
            boolean flushed = IndexWriter.SOURCE_FLUSH.equals(info.info.getDiagnostics().get(IndexWriter.SOURCE));
            if (flushed && !committed.contains(info.info.name) && !merging.contains(info)) {
                fresh.add(info);
            }
        }
        if (fresh.isEmpty()) {
            return null;
        }
        MergePolicy.MergeSpecification spec = new MergePolicy.MergeSpecification();
        spec.add(new MergePolicy.OneMerge(fresh));
        return spec;
    }

    private boolean active() {
        return committedSegments != null;
    }

    /** The store's merge policy: its usual one, except while a bulk load runs. */
    private static final class BulkMergePolicy extends org.apache.lucene.index.FilterMergePolicy {

        private final BulkLoad load;

        BulkMergePolicy(MergePolicy in, BulkLoad load) {
            super(in);
            this.load = load;
        }

        @Override
        public MergeSpecification findMerges(MergeTrigger trigger, SegmentInfos infos, MergeContext context)
                throws IOException {
            return load.active() ? null : super.findMerges(trigger, infos, context);
        }

        @Override
        public MergeSpecification findFullFlushMerges(MergeTrigger trigger, SegmentInfos infos,
                                                      MergeContext context) throws IOException {
            return load.active() ? null : super.findFullFlushMerges(trigger, infos, context);
        }

        @Override
        public MergeSpecification findForcedMerges(SegmentInfos infos, int maxSegments,
                                                   Map<SegmentCommitInfo, Boolean> toMerge, MergeContext context)
                throws IOException {
            return load.active() ? load.bulkMerge(infos, context)
                    : super.findForcedMerges(infos, maxSegments, toMerge, context);
        }
    }
}
