package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
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
        return storeWithCopies(false);
    }

    /** The same, and with {@code other} a vector "p05-other" as near to p05 as a copy (its image is distinct). */
    private static VectorStore storeWithCopies(boolean other) {
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
        if (other) {
            batch.addPut("p05-other", perturbed(photos[5], random), null);
        }
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
                    .find(store, ProgressListener.none()).groups();
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
            assertThat(DuplicateFinder.builder().build().find(store, ProgressListener.none()).groups()).isEmpty();
        }
    }

    @Test
    void aLargerThresholdGroupsMore() {
        try (VectorStore store = storeWithCopies()) {
            int strict = DuplicateFinder.builder().optThreshold(0.01).build().find(store, ProgressListener.none()).groups().size();
            int loose = DuplicateFinder.builder().optThreshold(1).build().find(store, ProgressListener.none()).groups().stream()
                    .mapToInt(g -> g.members().size()).sum();
            assertThat(strict).isZero();
            assertThat(loose).isEqualTo(43);
        }
    }

    /** The images of {@link #storeWithCopies()}: a distinct picture per photo, its copies distorted from it. */
    private static BufferedImage imageOf(String id) {
        BufferedImage photo = PixelAlignmentTest.picture(Integer.parseInt(id.substring(1, 3)));
        return switch (id.length() > 3 ? id.substring(4) : "") {
            case "crop" -> NearDuplicateSuite.rotate(NearDuplicateSuite.crop(photo, 0.12, new Random(1)),
                    Math.toRadians(3));
            case "jpeg" -> NearDuplicateSuite.jpeg(photo, 0.3f);
            case "small" -> NearDuplicateSuite.brightnessContrast(NearDuplicateSuite.scale(photo, 0.6), 0.08, 0.92);
            case "other" -> PixelAlignmentTest.picture(1000 + Integer.parseInt(id.substring(1, 3)));
            default -> photo;
        };
    }

    @Test
    void onPixelsCopiesAreGroupedWithTheirOriginal() {
        try (VectorStore store = storeWithCopies()) {
            DuplicateFinder.Result result = DuplicateFinder.builder().build()
                    .find(store, DuplicateFinderTest::imageOf, ProgressListener.none());
            assertThat(result.decision()).isEqualTo(DuplicateFinder.Decision.PIXELS);
            assertThat(result.groups()).hasSize(2);
            assertThat(result.groups().get(0).ids()).containsExactly("p03", "p03-crop", "p03-jpeg");
            assertThat(result.groups().get(1).ids()).containsExactly("p07", "p07-small");
            assertThat(result.groups().get(0).members()).allSatisfy(m -> assertThat(m.correlation())
                    .isGreaterThanOrEqualTo(DuplicateFinder.DEFAULT_MIN_CORRELATION));
            assertThat(result.verifiedPairs()).isPositive();
            assertThat(result.unreadable()).isZero();
        }
    }

    @Test
    void onPixelsADistinctPictureWithANearVectorIsNotGroupedThoughTheFeaturesWouldGroupIt() {
        // p05-other's vector is as near to p05's as a copy's, but its picture is distinct: only the pixels tell.
        try (VectorStore store = storeWithCopies(true)) {
            List<DuplicateFinder.DuplicateGroup> onFeatures = DuplicateFinder.builder().build()
                    .find(store, ProgressListener.none()).groups();
            assertThat(onFeatures).anySatisfy(g -> assertThat(g.ids()).containsExactly("p05", "p05-other"));
            DuplicateFinder.Result onPixels = DuplicateFinder.builder().build()
                    .find(store, DuplicateFinderTest::imageOf, ProgressListener.none());
            assertThat(onPixels.groups()).noneSatisfy(g -> assertThat(g.ids()).contains("p05-other"));
            assertThat(onPixels.groups()).hasSize(2);
        }
    }

    @Test
    void anUnreadableImageIsDecidedOnFeaturesAndCounted() {
        try (VectorStore store = storeWithCopies()) {
            DuplicateFinder.Result result = DuplicateFinder.builder().build().find(store, id -> {
                if (id.equals("p07-small")) {
                    throw new CnnkitException("cannot read p07-small");
                }
                return imageOf(id);
            }, ProgressListener.none());
            assertThat(result.unreadable()).isEqualTo(1);
            assertThat(result.groups()).extracting(DuplicateFinder.DuplicateGroup::ids)
                    .contains(List.of("p07", "p07-small"));
        }
    }

    @Test
    void withoutImagesTheDecisionIsOnFeatures() {
        try (VectorStore store = storeWithCopies()) {
            DuplicateFinder.Result result = DuplicateFinder.builder().build().find(store, ProgressListener.none());
            assertThat(result.decision()).isEqualTo(DuplicateFinder.Decision.FEATURES);
            assertThat(result.verifiedPairs()).isZero();
            assertThat(result.groups().get(0).members()).allSatisfy(m -> assertThat(m.correlation()).isNaN());
        }
    }

    @Test
    void badOptionsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> DuplicateFinder.builder().optMinCorrelation(0)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> DuplicateFinder.builder().optCandidateRatio(2)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> DuplicateFinder.builder().optThumbnailCache(1)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> DuplicateFinder.builder().optThreshold(1.5)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> DuplicateFinder.builder().optNeighbours(1)).isInstanceOf(CnnkitException.class)
                .hasMessageContaining("at least 2");
    }
}
