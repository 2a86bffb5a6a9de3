package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;

/**
 * The shared assets the Corel-1K workloads read: the Corel-1K folder and MobileNetV2 alpha 0.35's Keras weights, from
 * {@code -Dcnnkit.assets} (default {@code ../shared/assets}), and the small file and CPU helpers they share.
 *
 * @param corel the Corel-1K folder
 * @param weights the MobileNetV2 alpha 0.35 (224) weights file
 */
record CorelAssets(Path corel, Path weights) {

    /**
     * Finds the assets.
     *
     * @param workload the workload that needs them, for the message
     * @return the folder and the weights
     * @throws CnnkitException naming both paths if either is missing
     */
    static CorelAssets locate(String workload) {
        Path assets = Path.of(System.getProperty("cnnkit.assets", "../shared/assets"));
        Path corel = assets.resolve("corel1k");
        Path weights = assets.resolve("mobilenet_v2/mobilenet_v2_0.35_224_no_top.weights.h5");
        if (!Files.isDirectory(corel) || !Files.isRegularFile(weights)) {
            throw new CnnkitException(workload + " needs " + corel + " and " + weights + " (set -Dcnnkit.assets)");
        }
        return new CorelAssets(corel, weights);
    }

    /**
     * Reads a file whole.
     *
     * @param file the file
     * @return its bytes
     * @throws CnnkitException naming the file if it cannot be read
     */
    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CnnkitException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@return this process's CPU time in nanoseconds (all threads, native ones included), 0 where unknown} */
    static long processCpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }
}
