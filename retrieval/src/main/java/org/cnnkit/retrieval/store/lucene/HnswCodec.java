package org.cnnkit.retrieval.store.lucene;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.KnnVectorsWriter;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99ScalarQuantizedVectorsFormat;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.SegmentWriteState;

/**
 * The codec the lucene store writes with: Lucene 9.12's default codec with a per-field vectors format for the
 * vector field (HNSW with the store's {@code m} and {@code beam-width}, float or scalar-quantised) that accepts up to
 * {@link #MAX_DIMENSIONS} values a vector instead of Lucene's default 1,024. While a {@link BulkLoad} writes its
 * segments without graphs, new segments get Lucene's graph-free {@code Lucene99ScalarQuantizedVectorsFormat}
 * instead (the format is chosen when a segment starts; merges written afterwards get HNSW again).
 *
 * <p>The files it writes are plain Lucene 9.12 files: the codec keeps the name {@code Lucene912} and the vectors
 * format keeps the name of the Lucene format it delegates to, so any Lucene 9.12 reader opens the index through
 * Lucene's own service lookup (the dimension limit is checked only when vectors are added).
 */
final class HnswCodec {

    /**
     * The largest vector the store takes: 4,096, VGG16 fc2's width. Lucene's HNSW code has no limit of its own; the
     * 1,024 default only guards against slow indexing of very wide vectors.
     */
    static final int MAX_DIMENSIONS = 4096;

    private HnswCodec() {
    }

    /**
     * Returns the codec for a vector field.
     *
     * @param vectorField the field holding the vectors
     * @param parameters the graph parameters
     * @param mergeWorkers the threads that build a merged segment's graph ({@code merge-threads} of them), or null
     *     when merges use one thread
     * @param bulkLoad says when new segments are written without a graph
     * @return the codec
     */
    static Codec create(String vectorField, LuceneParameters parameters, ExecutorService mergeWorkers,
                        BulkLoad bulkLoad) {
        KnnVectorsFormat vectors = new WideVectorsFormat(graphFormat(parameters, mergeWorkers));
        KnnVectorsFormat withoutGraph = new WideVectorsFormat(new Lucene99ScalarQuantizedVectorsFormat());
        return new Lucene912Codec() {
            @Override
            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                if (!field.equals(vectorField)) {
                    return super.getKnnVectorsFormatForField(field);
                }
                return bulkLoad.flatSegments() ? withoutGraph : vectors;
            }
        };
    }

    private static KnnVectorsFormat graphFormat(LuceneParameters p, ExecutorService workers) {
        int threads = workers == null ? 1 : p.mergeThreads();
        return switch (p.quantization()) {
            case NONE -> new Lucene99HnswVectorsFormat(p.m(), p.beamWidth(), threads, workers);
            case INT8 -> new Lucene99HnswScalarQuantizedVectorsFormat(p.m(), p.beamWidth(), threads,
                    p.quantization().bits(), false, null, workers);
            case INT4 -> new Lucene99HnswScalarQuantizedVectorsFormat(p.m(), p.beamWidth(), threads,
                    p.quantization().bits(), true, null, workers);
        };
    }

    /** Delegates to a Lucene vectors format under its name, allowing {@link #MAX_DIMENSIONS} dimensions. */
    private static final class WideVectorsFormat extends KnnVectorsFormat {

        private final KnnVectorsFormat delegate;

        WideVectorsFormat(KnnVectorsFormat delegate) {
            super(delegate.getName());
            this.delegate = delegate;
        }

        @Override
        public KnnVectorsWriter fieldsWriter(SegmentWriteState state) throws IOException {
            return delegate.fieldsWriter(state);
        }

        @Override
        public KnnVectorsReader fieldsReader(SegmentReadState state) throws IOException {
            return delegate.fieldsReader(state);
        }

        @Override
        public int getMaxDimensions(String fieldName) {
            return MAX_DIMENSIONS;
        }

        @Override
        public String toString() {
            return delegate + " (up to " + MAX_DIMENSIONS + " dimensions)";
        }
    }
}
