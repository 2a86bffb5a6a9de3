package org.cnnkit.core.training;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Java access to the native memory of float arrays, for the stages that compute in Java: the whole buffer an array
 * lives in (its values start at {@link INDArray#offset()}), and whether the array is laid out in it as a plain
 * c-ordered block.
 */
final class FloatBuffers {

    private FloatBuffers() {
    }

    /**
     * Returns the buffer an array's values live in.
     *
     * @param array a float array
     * @return its whole underlying buffer, in native byte order; the array's first value is at its offset
     */
    static FloatBuffer of(INDArray array) {
        return array.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /**
     * Tells whether an array is a float array whose values are one c-ordered block (a whole array or a view of
     * consecutive rows of one).
     *
     * @param array the array
     * @return true when its values are {@code length()} consecutive floats from its offset, in c order
     */
    static boolean contiguous(INDArray array) {
        return array.dataType() == DataType.FLOAT && array.ordering() == 'c'
                && Arrays.equals(array.stride(), Nd4j.getStrides(array.shape(), 'c'));
    }
}
