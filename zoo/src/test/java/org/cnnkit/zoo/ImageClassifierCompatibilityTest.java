package org.cnnkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Models saved by earlier versions keep loading: {@code format-v1.cnnkit} was saved by format version 1 (a small
 * notebook CNN, 20x20 gray, 3 classes) together with the float bits of its probabilities on a fixed input.
 */
class ImageClassifierCompatibilityTest {

    @TempDir
    Path temp;

    /** A fixed input: 4 images of 20x20x1 with values following a simple pattern in [0, 1]. */
    static INDArray fixtureInput() {
        float[] values = new float[4 * 20 * 20];
        for (int i = 0; i < values.length; i++) {
            values[i] = ((i * 37) % 101) / 100f;
        }
        return Nd4j.create(values, new long[] {4, 1, 20, 20}, 'c');
    }

    @Test
    void formatVersion1ModelLoadsAndPredictsTheSameProbabilities() throws IOException {
        Path file = copy("format-v1.cnnkit");
        List<String> expected = Files.readAllLines(copy("format-v1.probabilities.txt"), StandardCharsets.UTF_8);

        ImageClassifier classifier = ImageClassifier.load(file);

        assertThat(classifier.classNames()).containsExactly("left", "right", "top");
        assertThat(classifier.inputShape()).isEqualTo(new InputShape(20, 20, 1));
        assertThat(classifier.preprocessing()).isEqualTo(Preprocessing.RESCALE);
        assertThat(classifier.provenance().model()).isEqualTo("seedcnn-notebook");
        assertThat(classifier.provenance().dataset()).isEqualTo("format fixture");
        float[] probabilities = classifier.probabilities(fixtureInput()).data().asFloat();
        assertThat(probabilities).hasSize(12);
        for (int i = 0; i < probabilities.length; i++) {
            // the same bits on the machine that wrote the fixture; other CPUs may round the last bit differently
            assertThat(probabilities[i]).as("probability %d", i)
                    .isCloseTo(Float.intBitsToFloat(Integer.parseInt(expected.get(i))), within(1e-6f));
        }
    }

    private Path copy(String resource) throws IOException {
        try (InputStream in = getClass().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            Path target = temp.resolve(resource);
            Files.copy(in, target);
            return target;
        }
    }
}
