package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class FeatureIndexTest {

    static float[][] randomVectors(Random random, int n, int d) {
        float[][] vectors = new float[n][d];
        for (float[] v : vectors) {
            for (int j = 0; j < d; j++) {
                v[j] = (float) random.nextGaussian();
            }
        }
        return vectors;
    }

    static FeatureIndex indexOf(float[][] vectors, FeatureIndex.Builder builder) {
        FeatureIndex index = builder.build();
        List<String> ids = IntStream.range(0, vectors.length).mapToObj(i -> "v" + i).toList();
        index.addAll(ids, vectors, null);
        return index;
    }

    static double euclidean(float[] a, float[] b) {
        double sum = 0;
        for (int j = 0; j < a.length; j++) {
            double diff = (double) a[j] - b[j];
            sum += diff * diff;
        }
        return Math.sqrt(sum);
    }

    static double cosineDistance(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int j = 0; j < a.length; j++) {
            dot += (double) a[j] * b[j];
            na += (double) a[j] * a[j];
            nb += (double) b[j] * b[j];
        }
        return 1 - dot / Math.sqrt(na * nb);
    }

    interface Distance {
        double of(float[] a, float[] b);
    }

    /** The k nearest ids by brute force, with their distances. */
    static List<Match> bruteForce(float[][] vectors, float[] query, int k, Distance distance) {
        List<Match> all = new ArrayList<>();
        for (int i = 0; i < vectors.length; i++) {
            all.add(new Match("v" + i, (float) distance.of(query, vectors[i])));
        }
        all.sort(Comparator.comparingDouble(Match::distance));
        return all.subList(0, Math.min(k, all.size()));
    }

    static void assertSameMatches(List<Match> actual, List<Match> expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).distance()).as("distance of rank %d", i)
                    .isCloseTo(expected.get(i).distance(), within((float) tolerance));
        }
        assertThat(actual.stream().map(Match::id)).containsExactlyElementsOf(expected.stream().map(Match::id).toList());
    }

    @Test
    void euclideanSearchReturnsTheTrueNearestWithTrueDistances() {
        Random random = new Random(1);
        float[][] data = randomVectors(random, 700, 33);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(33));
        float[][] queries = randomVectors(random, 20, 33);
        List<List<Match>> results = index.search(queries, 7);
        for (int q = 0; q < queries.length; q++) {
            assertSameMatches(results.get(q), bruteForce(data, queries[q], 7, FeatureIndexTest::euclidean), 1e-4);
        }
        // A stored vector finds itself at distance 0.
        assertThat(index.search(data[123], 1).get(0)).isEqualTo(new Match("v123", 0f));
    }

    @Test
    void searchAcrossSeveralChunksMatchesBruteForce() {
        Random random = new Random(2);
        float[][] data = randomVectors(random, 40_000, 6);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(6));
        float[][] queries = randomVectors(random, 5, 6);
        List<List<Match>> results = index.search(Nd4j.createFromArray(queries), 4);
        for (int q = 0; q < queries.length; q++) {
            assertSameMatches(results.get(q), bruteForce(data, queries[q], 4, FeatureIndexTest::euclidean), 1e-4);
        }
    }

    @Test
    void cosineSearchMatchesBruteForce() {
        Random random = new Random(3);
        float[][] data = randomVectors(random, 500, 24);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(24).optMetric(Metric.COSINE));
        float[][] queries = randomVectors(random, 10, 24);
        for (float[] query : queries) {
            assertSameMatches(index.search(query, 5), bruteForce(data, query, 5, FeatureIndexTest::cosineDistance), 1e-5);
        }
    }

    @Test
    void l2NormalisationMakesEuclideanSearchRankLikeCosine() {
        Random random = new Random(4);
        float[][] data = randomVectors(random, 400, 16);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(16)
                .addTransform(VectorTransform.l2Normalize()));
        assertThat(index.isFitted()).isTrue();
        for (float[] query : randomVectors(random, 10, 16)) {
            // ||a/|a| - b/|b||| = sqrt(2 - 2 cos) = sqrt(2 * cosine distance)
            List<Match> expected = bruteForce(data, query, 6,
                    (a, b) -> Math.sqrt(2 * Math.max(0, cosineDistance(a, b))));
            assertSameMatches(index.search(query, 6), expected, 1e-4);
        }
    }

    @Test
    void centeringAndFullPcaKeepEuclideanDistances() {
        Random random = new Random(5);
        float[][] data = randomVectors(random, 300, 12);
        for (float[] v : data) {
            v[0] += 50; // an offset that centering removes
        }
        FeatureIndex centered = indexOf(data, FeatureIndex.builder().setDimension(12)
                .addTransform(VectorTransform.center()));
        FeatureIndex rotated = indexOf(data, FeatureIndex.builder().setDimension(12)
                .addTransform(VectorTransform.pca(12)));
        for (float[] query : randomVectors(random, 8, 12)) {
            query[0] += 50;
            List<Match> expected = bruteForce(data, query, 5, FeatureIndexTest::euclidean);
            assertSameMatches(centered.search(query, 5), expected, 1e-3);
            assertSameMatches(rotated.search(query, 5), expected, 1e-3);
        }
    }

    @Test
    void pcaToTheDataSubspaceKeepsDistancesAndReducesDimension() {
        Random random = new Random(6);
        int d = 20;
        int k = 3;
        float[][] basis = randomVectors(random, k, d);
        float[][] data = new float[250][d];
        for (float[] v : data) {
            double[] coefficients = {random.nextGaussian() * 3, random.nextGaussian() * 2, random.nextGaussian()};
            for (int j = 0; j < d; j++) {
                v[j] = 7f;
                for (int c = 0; c < k; c++) {
                    v[j] += (float) (coefficients[c] * basis[c][j]);
                }
            }
        }
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(d).addTransform(VectorTransform.pca(k)));
        for (int q = 0; q < 10; q++) {
            float[] query = data[q * 17];
            assertSameMatches(index.search(query, 5), bruteForce(data, query, 5, FeatureIndexTest::euclidean), 2e-3);
        }
        // Keeping all of the variance of rank-3 data keeps 3 components: distances unchanged too.
        FeatureIndex byVariance = indexOf(data, FeatureIndex.builder().setDimension(d)
                .addTransform(VectorTransform.pcaVariance(1.0)));
        for (int q = 0; q < 5; q++) {
            float[] query = data[q * 13 + 1];
            assertSameMatches(byVariance.search(query, 5), bruteForce(data, query, 5, FeatureIndexTest::euclidean), 2e-3);
        }
        assertThat(byVariance.pairwiseDistances()[0][1]).isCloseTo((float) euclidean(data[0], data[1]), within(2e-3f));
    }

    @Test
    void pcaByVarianceShareKeepsTheFewestComponentsThatExplainIt() {
        Random random = new Random(10);
        float[][] data = new float[400][10];
        for (float[] v : data) {
            v[0] = (float) random.nextGaussian() * 3 + 7;
            v[1] = (float) random.nextGaussian() * 2;
            v[2] = (float) random.nextGaussian();
        }
        // Variance shares about 0.64, 0.29, 0.07.
        for (double[] expectation : new double[][] {{0.5, 1}, {0.85, 2}, {0.99, 3}, {1.0, 3}}) {
            FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(10)
                    .addTransform(VectorTransform.pcaVariance(expectation[0])));
            index.fit();
            assertThat(index.searchDimension()).as("share %s", expectation[0]).isEqualTo((int) expectation[1]);
        }
        assertThatThrownBy(() -> VectorTransform.pcaVariance(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VectorTransform.pcaVariance(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whiteningGivesTheMahalanobisDistance() {
        Random random = new Random(7);
        float[] scales = {10f, 3f, 1f, 0.2f};
        float[][] data = new float[600][4];
        for (float[] v : data) {
            for (int j = 0; j < 4; j++) {
                v[j] = (float) random.nextGaussian() * scales[j];
            }
        }
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(4)
                .addTransform(VectorTransform.pcaWhitened(4)));
        // Whitened PCA over all components gives the Mahalanobis distance under the sample covariance.
        org.nd4j.linalg.api.ndarray.INDArray x = Nd4j.createFromArray(data).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
        org.nd4j.linalg.api.ndarray.INDArray centred = x.subRowVector(x.mean(0));
        org.nd4j.linalg.api.ndarray.INDArray precision = org.nd4j.linalg.inverse.InvertMatrix.invert(
                centred.transpose().mmul(centred).divi(data.length - 1), false);
        double[][] p = precision.toDoubleMatrix();
        Distance standardised = (a, b) -> {
            double sum = 0;
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    sum += ((double) a[i] - b[i]) * p[i][j] * ((double) a[j] - b[j]);
                }
            }
            return Math.sqrt(sum);
        };
        for (int q = 0; q < 10; q++) {
            float[] query = data[q * 31];
            assertSameMatches(index.search(query, 5), bruteForce(data, query, 5, standardised), 2e-3);
        }
    }

    @Test
    void addAndRemoveKeepSearchExact() {
        Random random = new Random(8);
        float[][] data = randomVectors(random, 200, 10);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(10).optInitialCapacity(0));
        List<float[]> kept = new ArrayList<>();
        List<String> keptIds = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            if (i % 3 == 0) {
                assertThat(index.remove("v" + i)).isTrue();
            } else {
                kept.add(data[i]);
                keptIds.add("v" + i);
            }
        }
        assertThat(index.remove("v0")).isFalse();
        assertThat(index.size()).isEqualTo(kept.size());
        float[] fresh = randomVectors(random, 1, 10)[0];
        index.add("fresh", fresh, "stamp-1");
        assertThat(index.stamp("fresh")).contains("stamp-1");
        assertThat(index.vector("v1")).hasValueSatisfying(v -> assertThat(v).containsExactly(data[1]));
        assertThat(index.search(fresh, 1).get(0)).isEqualTo(new Match("fresh", 0f));
        for (float[] query : randomVectors(random, 10, 10)) {
            List<Match> matches = index.search(query, 4);
            List<Match> expected = new ArrayList<>();
            for (int i = 0; i < kept.size(); i++) {
                expected.add(new Match(keptIds.get(i), (float) euclidean(query, kept.get(i))));
            }
            expected.add(new Match("fresh", (float) euclidean(query, fresh)));
            expected.sort(Comparator.comparingDouble(Match::distance));
            assertSameMatches(matches, expected.subList(0, 4), 1e-4);
        }
        index.add("v0", data[0]); // a removed id may come back
        assertThat(index.search(data[0], 1).get(0).id()).isEqualTo("v0");
    }

    @Test
    void transformsAreFittedAtTheFirstSearchAndAppliedToLaterAdditions() {
        Random random = new Random(9);
        float[][] data = randomVectors(random, 100, 8);
        FeatureIndex index = indexOf(data, FeatureIndex.builder().setDimension(8).addTransform(VectorTransform.center()));
        assertThat(index.isFitted()).isFalse();
        assertThat(index.search(data[5], 1).get(0).id()).isEqualTo("v5");
        assertThat(index.isFitted()).isTrue();
        index.add("late", data[7]);
        assertThat(index.search(data[7], 2)).extracting(Match::distance).containsExactly(0f, 0f);
    }

    @Test
    void badInputIsRefusedWithClearMessages() {
        FeatureIndex index = FeatureIndex.builder().setDimension(3).build();
        index.add("a", new float[] {1, 2, 3});
        assertThatThrownBy(() -> index.add("b", new float[] {1, 2}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("2 values").hasMessageContaining("3-d");
        assertThatThrownBy(() -> index.add("b", new float[] {1, Float.NaN, 3}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("non-finite").hasMessageContaining("position 1");
        assertThatThrownBy(() -> index.add("b", new float[] {1, Float.POSITIVE_INFINITY, 3}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("non-finite");
        assertThatThrownBy(() -> index.add("a", new float[] {4, 5, 6}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("'a' is already in the index");
        assertThatThrownBy(() -> index.addAll(List.of("x", "x"), new float[][] {{1, 1, 1}, {2, 2, 2}}, null))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> index.add("", new float[] {1, 1, 1}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("empty id");
        assertThatThrownBy(() -> index.search(new float[] {1, 2, 3, 4}, 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("4 values");
        assertThatThrownBy(() -> index.search(new float[] {Float.NaN, 2, 3}, 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("non-finite");
        assertThatThrownBy(() -> index.search(new float[] {1, 2, 3}, 0))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> index.search(Nd4j.create(2, 4), 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("[q, 3]");
        assertThatThrownBy(() -> index.search(Nd4j.createFromArray(new float[][] {{1, Float.NaN, 0}}), 1))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("non-finite");
        FeatureIndex cosine = FeatureIndex.builder().setDimension(2).optMetric(Metric.COSINE).build();
        assertThatThrownBy(() -> cosine.add("z", new float[] {0, 0}))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("all zeros");
        // A failed add leaves the index as it was.
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.search(new float[] {1, 2, 3}, 5)).containsExactly(new Match("a", 0f));
    }

    @Test
    void emptyIndexAnswersWithNoMatchesAndCannotBeFitted() {
        FeatureIndex plain = FeatureIndex.builder().setDimension(2).build();
        assertThat(plain.search(new float[] {1, 2}, 3)).isEmpty();
        FeatureIndex pca = FeatureIndex.builder().setDimension(2).addTransform(VectorTransform.pca(1)).build();
        assertThatThrownBy(pca::fit).isInstanceOf(CnnkitException.class).hasMessageContaining("empty index");
    }

    @Test
    void indexRefusesVectorsOfAnotherExtractor() {
        ExtractorIdentity vgg = new ExtractorIdentity("vgg16/fc2", "abc", InputShape.rgb(224), Preprocessing.VGG16_CAFFE, 4);
        ExtractorIdentity other = new ExtractorIdentity("mobilenetv2-0.35/avg", "def", InputShape.rgb(224),
                Preprocessing.MOBILENET_V2, 4);
        FeatureIndex index = FeatureIndex.builder().optExtractor(vgg).build();
        assertThat(index.dimension()).isEqualTo(4);
        index.requireCompatible(vgg);
        assertThatThrownBy(() -> index.requireCompatible(other))
                .isInstanceOf(CnnkitException.class).hasMessageContaining("vgg16/fc2").hasMessageContaining("mobilenetv2");
    }
}
