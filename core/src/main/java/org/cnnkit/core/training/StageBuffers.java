package org.cnnkit.core.training;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The activation and gradient arrays of one training stage, allocated once per batch size and reused by every step
 * of that size. Buffers of the two most recent batch sizes are kept (a full batch and an epoch's smaller last one),
 * so that an epoch does not reallocate them.
 */
final class StageBuffers {

    private final Map<Long, Map<String, INDArray>> bySize = new HashMap<>();
    private long newest = -1;
    private long previous = -1;

    /**
     * Returns the buffer of a role for a shape whose first dimension is the batch size.
     *
     * @param role what the buffer holds, such as {@code "output"}
     * @param shape its shape, batch first
     * @return a float array of that shape, the same one on every call with the same role and batch size
     */
    INDArray get(String role, long... shape) {
        long batch = shape[0];
        if (batch != newest) {
            if (batch != previous && previous >= 0) {
                bySize.remove(previous);
            }
            previous = newest;
            newest = batch;
        }
        Map<String, INDArray> buffers = bySize.computeIfAbsent(batch, b -> new HashMap<>());
        INDArray buffer = buffers.get(role);
        if (buffer == null || !java.util.Arrays.equals(buffer.shape(), shape)) {
            buffer = Nd4j.create(DataType.FLOAT, shape, 'c');
            buffers.put(role, buffer);
        }
        return buffer;
    }
}
