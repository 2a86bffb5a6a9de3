package org.cnnkit.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PlanBuffersTest {

    @Test
    void aReleasedBufferIsReusedAndItsArraysWriteIntoIt() {
        PlanBuffers buffers = new PlanBuffers(DataType.FLOAT);
        INDArray first = buffers.take(new long[] {2, 3});
        first.assign(7);
        buffers.release(first);

        INDArray second = buffers.take(new long[] {6});

        assertThat(second.shape()).containsExactly(6);
        assertThat(second.minNumber().doubleValue()).isEqualTo(7.0); // the same memory, not a copy
        assertThat(buffers.allocatedBytes()).isEqualTo(6L * Float.BYTES);
    }

    @Test
    void arraysInUseNeverShareABufferEvenWithEqualContents() {
        PlanBuffers buffers = new PlanBuffers(DataType.FLOAT);
        INDArray a = buffers.take(new long[] {4, 4});
        INDArray b = buffers.take(new long[] {4, 4});
        a.assign(0);
        b.assign(0);
        buffers.release(a);
        buffers.release(b);

        INDArray c = buffers.take(new long[] {4, 4});
        INDArray d = buffers.take(new long[] {4, 4});
        c.assign(1);
        d.assign(2);

        assertThat(c.maxNumber().doubleValue()).isEqualTo(1.0);
        assertThat(c.minNumber().doubleValue()).isEqualTo(1.0);
        assertThat(buffers.allocatedBytes()).isEqualTo(2L * 16 * Float.BYTES);
    }

    @Test
    void releasingAllLetsTheNextPlanReuseEveryBuffer() {
        PlanBuffers buffers = new PlanBuffers(DataType.FLOAT);
        buffers.take(new long[] {10});
        buffers.take(new long[] {20});

        buffers.releaseAll();
        buffers.take(new long[] {20});
        buffers.take(new long[] {5});

        assertThat(buffers.allocatedBytes()).isEqualTo(30L * Float.BYTES);
    }

    @Test
    void theSmallestFreeBufferThatFitsIsTaken() {
        PlanBuffers buffers = new PlanBuffers(DataType.FLOAT);
        INDArray large = buffers.take(new long[] {100});
        INDArray small = buffers.take(new long[] {10});
        buffers.release(large);
        buffers.release(small);

        buffers.take(new long[] {8});
        buffers.take(new long[] {90});

        assertThat(buffers.allocatedBytes()).as("no new buffer").isEqualTo(110L * Float.BYTES);
    }
}
