package org.cnnkit.core.runtime;

/**
 * The one place where cnnkit configures the ND4J / DL4J native runtime before networks are built.
 *
 * <p>Every network factory of cnnkit calls {@link #ensureConfigured()} before it creates a network;
 * the call is idempotent and cheap after the first time.
 */
public final class NativeRuntime {

    private NativeRuntime() {
    }

    /**
     * Configures the native runtime once per JVM; later calls return at once.
     */
    public static void ensureConfigured() {
        // Filled in by the speed work (issue 3): oneDNN layer helpers, per-layer path choice.
    }
}
