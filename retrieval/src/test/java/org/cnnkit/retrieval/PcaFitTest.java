package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * PCA fitted on as many dimensions as real features have: the axes must be orthonormal, so that keeping every
 * component only rotates the (centred) vectors. ND4J's double eigensolver broke this from 200 dimensions up on
 * AVX-512 CPUs; this test failed there before the fit moved to the float solver.
 */
class PcaFitTest {

    @Test
    void keepingEveryComponentOfFourHundredDimensionsPreservesEveryDistance() {
        Random random = new Random(5);
        int n = 600;
        int d = 400;
        float[][] vectors = new float[n][d];
        for (float[] vector : vectors) {
            for (int j = 0; j < d; j++) {
                // Falling variance along the dimensions, as in real features.
                vector[j] = (float) (random.nextGaussian() * 3.0 / (1 + j / 20.0));
            }
        }
        SearchPipeline pca = SearchPipeline.fit(List.of(VectorTransform.pca(d)), vectors);

        float[][] rotated = pca.apply(vectors);

        assertThat(pca.outputDimension()).isEqualTo(d);
        for (int i = 0; i < 20; i++) {
            int a = random.nextInt(n);
            int b = random.nextInt(n);
            double before = distance(vectors[a], vectors[b]);
            assertThat(distance(rotated[a], rotated[b])).as("distance %d-%d", a, b)
                    .isCloseTo(before, within(1e-3 * before + 1e-6));
        }
    }

    private static double distance(float[] x, float[] y) {
        double sum = 0;
        for (int j = 0; j < x.length; j++) {
            double diff = x[j] - y[j];
            sum += diff * diff;
        }
        return Math.sqrt(sum);
    }
}
