package org.cnnkit.zoo.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the floats of an ONNX Runtime output tensor where they are, in ONNX Runtime's native memory.
 *
 * <p>ONNX Runtime's public {@link OnnxTensor#getFloatBuffer()} first copies the whole output into a new array on the
 * Java heap: a second copy of every output, and for MobileNetV2's feature maps (2.6 MB a batch of 32 at 100x100) a
 * humongous allocation that the garbage collector must reclaim after each batch. The tensor's own view of its native
 * memory is the private method {@code getBuffer()} that {@code getFloatBuffer()} itself calls (ONNX Runtime
 * 1.20; a direct buffer valid until the tensor is closed). This class calls it when it is accessible (ONNX Runtime on
 * the class path) and falls back to {@code getFloatBuffer()} otherwise (on the module path, or in a version without
 * it), logging which once.
 */
final class OutputMemory {

    private static final Logger LOG = LoggerFactory.getLogger(OutputMemory.class);

    /** The tensor's native view, or null when it cannot be called. */
    private static final Method NATIVE_VIEW = nativeView();

    private OutputMemory() {
    }

    private static Method nativeView() {
        try {
            Method method = OnnxTensor.class.getDeclaredMethod("getBuffer");
            if (method.getReturnType() != ByteBuffer.class) {
                throw new NoSuchMethodException("OnnxTensor.getBuffer() returns " + method.getReturnType());
            }
            method.setAccessible(true);
            return method;
        } catch (NoSuchMethodException | RuntimeException e) {
            LOG.info("ONNX Runtime outputs are copied through the Java heap (OnnxTensor.getFloatBuffer): {}",
                    e.toString());
            return null;
        }
    }

    /** {@return true when outputs are read in native memory, without a copy on the Java heap} */
    static boolean readsNativeMemory() {
        return NATIVE_VIEW != null;
    }

    /**
     * The floats of a float tensor, from position 0 to its length; valid until the tensor is closed.
     *
     * @param tensor a float tensor
     * @return a view of its native memory, or a heap copy when that view is not accessible
     * @throws OrtException if ONNX Runtime cannot read the tensor
     */
    static FloatBuffer floats(OnnxTensor tensor) throws OrtException {
        if (NATIVE_VIEW != null) {
            try {
                ByteBuffer bytes = (ByteBuffer) NATIVE_VIEW.invoke(tensor);
                return bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
            } catch (IllegalAccessException | InvocationTargetException e) {
                // not expected once setAccessible succeeded; the public copy below still gives the right floats
                LOG.debug("reading an output in native memory failed: {}", e.toString());
            }
        }
        return tensor.getFloatBuffer();
    }
}
