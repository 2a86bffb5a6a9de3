package org.cnnkit.core.runtime;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The activation memory of an {@link InferencePlan}: arrays handed out as views of flat buffers, a buffer going back
 * to the free list when the plan's last reader of its array has been compiled, so that later layers reuse it. A
 * network's activations then take about the memory of its largest few layers, not of all of them.
 */
final class PlanBuffers {

    private final DataType dataType;
    private final List<INDArray> free = new ArrayList<>();
    private final Map<INDArray, INDArray> bufferOf = new IdentityHashMap<>();
    private long allocatedElements;

    PlanBuffers(DataType dataType) {
        this.dataType = dataType;
    }

    /**
     * Returns a C-order array of {@code shape} on the smallest free buffer that holds it, or on a new buffer. Its
     * values are whatever the buffer held: the step that writes it must write every element.
     */
    INDArray take(long[] shape) {
        long length = 1;
        for (long d : shape) {
            length *= d;
        }
        int best = -1;
        for (int i = 0; i < free.size(); i++) {
            long capacity = free.get(i).length();
            if (capacity >= length && (best < 0 || capacity < free.get(best).length())) {
                best = i;
            }
        }
        INDArray buffer;
        if (best < 0) {
            buffer = Nd4j.createUninitialized(dataType, Math.max(1, length));
            allocatedElements += buffer.length();
        } else {
            buffer = free.remove(best); // by position: INDArray.equals compares values, not identity
        }
        INDArray array = buffer.get(NDArrayIndex.interval(0, length)).reshape('c', shape);
        bufferOf.put(array, buffer);
        return array;
    }

    /** Gives the buffer under an array from {@link #take} back for reuse; other arrays are ignored. */
    void release(INDArray array) {
        INDArray buffer = bufferOf.remove(array);
        if (buffer != null) {
            free.add(buffer);
        }
    }

    /**
     * Makes every buffer free again, for compiling another plan that will run on the same buffers: plans that never
     * run at the same time (those of one replica) then share them, and together take what the largest needs.
     */
    void releaseAll() {
        free.addAll(bufferOf.values());
        bufferOf.clear();
    }

    /** Returns the bytes of all buffers made so far. */
    long allocatedBytes() {
        return allocatedElements * dataType.width();
    }
}
