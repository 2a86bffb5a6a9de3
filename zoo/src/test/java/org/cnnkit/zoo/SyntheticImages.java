package org.cnnkit.zoo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Tiny generated image classes for training tests: class 0 has a bright left half, class 1 a bright right half,
 * class 2 a bright top half, all with noise. Values are in [0, 1] (already "rescaled").
 */
final class SyntheticImages {

    private SyntheticImages() {
    }

    /** Returns {@code count} images of {@code size x size x 1}, classes cycling 0,1,2, with an optional label shift. */
    static List<DataSet> examples(int count, int size, long seed, int labelShift) {
        Random random = new Random(seed);
        List<DataSet> examples = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int cls = i % 3;
            float[] pixels = new float[size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean bright = switch (cls) {
                        case 0 -> x < size / 2;
                        case 1 -> x >= size / 2;
                        default -> y < size / 2;
                    };
                    pixels[y * size + x] = (bright ? 0.7f : 0.1f) + 0.3f * random.nextFloat();
                }
            }
            INDArray features = Nd4j.create(pixels, new long[] {1, 1, size, size}, 'c').castTo(DataType.FLOAT);
            INDArray label = Nd4j.zeros(DataType.FLOAT, 1, 3);
            label.putScalar(0, (cls + labelShift) % 3, 1f);
            examples.add(new DataSet(features, label));
        }
        return examples;
    }

    static ListDataSetIterator<DataSet> iterator(List<DataSet> examples, int batchSize) {
        return new ListDataSetIterator<>(examples, batchSize);
    }
}
