package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cnnkit.core.CnnkitException;

/**
 * The {@code ann-300k-128} data written by {@code ../shared/bench/ann/ann_peer.py} in the ann-benchmarks file
 * formats: {@code base.fvecs}, {@code query.fvecs} (each row an int32 dimension then that many float32 values,
 * little-endian) and {@code groundtruth.ivecs} (each row an int32 count then the exact nearest base rows), in
 * {@code $CNNKIT_BENCH_CACHE/ann}, by default {@code ~/.cache/cnnkit-bench/ann}.
 *
 * @param base the vectors to index
 * @param queries the query vectors
 * @param truth for each query, the base rows nearest first (Euclidean)
 */
record AnnDataset(float[][] base, float[][] queries, int[][] truth) {

    /**
     * Reads the three files.
     *
     * @return the data
     * @throws CnnkitException if the folder or a file is missing (saying how to make them) or damaged
     */
    static AnnDataset read() {
        String cache = System.getenv("CNNKIT_BENCH_CACHE");
        Path folder = (cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache",
                "cnnkit-bench")).resolve("ann");
        if (!Files.exists(folder.resolve("groundtruth.ivecs"))) {
            throw new CnnkitException("the ann-300k-128 data is not in " + folder + "; make it by running the peer "
                    + "once: /usr/bin/python3 ../shared/bench/ann/ann_peer.py ann-300k-128 (it needs "
                    + "apt-get install python3-faiss python3-hnswlib)");
        }
        try {
            return new AnnDataset(readFvecs(folder.resolve("base.fvecs")), readFvecs(folder.resolve("query.fvecs")),
                    readIvecs(folder.resolve("groundtruth.ivecs")));
        } catch (IOException | RuntimeException e) {
            throw new CnnkitException("cannot read the ann-300k-128 data in " + folder + ": " + e, e);
        }
    }

    static float[][] readFvecs(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int d = bytes.getInt(0);
        int rows = bytes.capacity() / (4 * (d + 1));
        if (d < 1 || rows * 4L * (d + 1) != bytes.capacity()) {
            throw new IOException(file + " is not an fvecs file of " + d + "-d rows");
        }
        float[][] out = new float[rows][d];
        for (int r = 0; r < rows; r++) {
            bytes.position(r * 4 * (d + 1) + 4);
            bytes.asFloatBuffer().get(out[r]);
        }
        return out;
    }

    static int[][] readIvecs(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int d = bytes.getInt(0);
        int rows = bytes.capacity() / (4 * (d + 1));
        if (d < 1 || rows * 4L * (d + 1) != bytes.capacity()) {
            throw new IOException(file + " is not an ivecs file of " + d + "-wide rows");
        }
        int[][] out = new int[rows][d];
        for (int r = 0; r < rows; r++) {
            bytes.position(r * 4 * (d + 1) + 4);
            bytes.asIntBuffer().get(out[r]);
        }
        return out;
    }
}
