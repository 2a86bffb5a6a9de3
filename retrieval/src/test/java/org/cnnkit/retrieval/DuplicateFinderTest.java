package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.progress.ProgressListener;
import org.cnnkit.retrieval.store.ExactVectorStore;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.VectorStore;
import org.junit.jupiter.api.Test;

class DuplicateFinderTest {

    private static final int DIMENSION = 16;

    /** 40 random vectors; photo 3 has two slightly perturbed copies, photo 7 one. */
    private static VectorStore storeWithCopies() {
        VectorStore store = ExactVectorStore.inMemory(new StoreSchema(DIMENSION, Metric.EUCLIDEAN, List.of(),
                Optional.empty(), Map.of()));
        Random random = new Random(9);
        float[][] photos = new float[40][DIMENSION];
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < photos.length; i++) {
            for (int j = 0; j < DIMENSION; j++) {
                photos[i][j] = (float) random.nextGaussian();
            }
            batch.addPut(String.format("p%02d", i), photos[i], null);
        }
        batch.addPut("p03-crop", perturbed(photos[3], random), null);
        batch.addPut("p03-jpeg", perturbed(photos[3], random), null);
        batch.addPut("p07-small", perturbed(photos[7], random), null);
        store.write(batch.build());
        return store;
    }

    private static float[] perturbed(float[] vector, Random random) {
        float[] copy = vector.clone();
        for (int j = 0; j < copy.length; j++) {
            copy[j] += (float) random.nextGaussian() * 0.05f;
        }
        return copy;
    }

    @Test
    void copiesAreGroupedWithTheirOriginalLargestGroupFirst() {
        try (VectorStore store = storeWithCopies()) {
            List<DuplicateFinder.DuplicateGroup> groups = DuplicateFinder.builder().build()
                    .find(store, ProgressListener.none());
            assertThat(groups).hasSize(2);
            assertThat(groups.get(0).ids()).containsExactly("p03", "p03-crop", "p03-jpeg");
            assertThat(groups.get(1).ids()).containsExactly("p07", "p07-small");
            assertThat(groups.get(0).members()).allSatisfy(m -> assertThat(m.distance()).isBetween(0.0, 0.5));
        }
    }

    @Test
    void distinctVectorsAreNotGrouped() {
        try (VectorStore store = ExactVectorStore.inMemory(new StoreSchema(DIMENSION, Metric.EUCLIDEAN, List.of(),
                Optional.empty(), Map.of()))) {
            Random random = new Random(4);
            StoreBatch.Builder batch = StoreBatch.builder();
            for (int i = 0; i < 60; i++) {
                float[] v = new float[DIMENSION];
                for (int j = 0; j < DIMENSION; j++) {
                    v[j] = (float) random.nextGaussian();
                }
                batch.addPut("x" + i, v, null);
            }
            store.write(batch.build());
            assertThat(DuplicateFinder.builder().build().find(store, ProgressListener.none())).isEmpty();
        }
    }

    @Test
    void aLargerThresholdGroupsMore() {
        try (VectorStore store = storeWithCopies()) {
            int strict = DuplicateFinder.builder().optThreshold(0.01).build().find(store, ProgressListener.none()).size();
            int loose = DuplicateFinder.builder().optThreshold(1).build().find(store, ProgressListener.none()).stream()
                    .mapToInt(g -> g.members().size()).sum();
            assertThat(strict).isZero();
            assertThat(loose).isEqualTo(43);
        }
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> DuplicateFinder.builder().optThreshold(1.5)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> DuplicateFinder.builder().optNeighbours(1)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("at least 2");
    }
}
