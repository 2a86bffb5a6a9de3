package org.cnnkit.zoo.weights;

import java.util.Arrays;
import java.util.Objects;

/**
 * One weight of a Keras layer as the network expects it: its short name and its shape in Keras' layout.
 *
 * @param name the short Keras weight name, without layer prefix and {@code :0} suffix, such as {@code kernel},
 *     {@code depthwise_kernel}, {@code bias}, {@code gamma}, {@code moving_variance}
 * @param shape the shape in Keras' layout, such as {@code [kh, kw, in, out]} for a Conv2D kernel
 */
public record KerasWeightSpec(String name, long[] shape) {

    /**
     * Validates and copies the spec.
     *
     * @param name the short Keras weight name, without layer prefix and {@code :0} suffix, such as {@code kernel}, {@code depthwise_kernel}, {@code bias}, {@code gamma}, {@code moving_variance}
     * @param shape the shape in Keras' layout, such as {@code [kh, kw, in, out]} for a Conv2D kernel
     * @throws NullPointerException if a component is null
     */
    public KerasWeightSpec {
        Objects.requireNonNull(name, "name");
        shape = Objects.requireNonNull(shape, "shape").clone();
    }

    /** {@return a copy of the shape} */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Returns whether {@code other} has exactly this shape.
     *
     * @param other a shape
     * @return true if equal element by element
     */
    public boolean hasShape(long[] other) {
        return Arrays.equals(shape, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KerasWeightSpec s && name.equals(s.name) && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
