package org.cnnkit.core.data;

/** Derives independent, well-mixed seeds from a base seed and indices (SplitMix64 finaliser). */
final class Seeds {

    private Seeds() {
    }

    /** Returns a seed derived from {@code seed} and {@code a}. */
    static long mix(long seed, long a) {
        return finalise(finalise(seed) ^ finalise(a + 0x9E3779B97F4A7C15L));
    }

    /** Returns a seed derived from {@code seed}, {@code a} and {@code b}. */
    static long mix(long seed, long a, long b) {
        return mix(mix(seed, a), b);
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
