package org.cnnkit.retrieval.store;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.cnnkit.retrieval.Metric;

/**
 * The child process of {@link StoreCrashHarness}: writes numbered batches into a store and prints
 * {@code committed N} after batch N's write returned. Arguments: SPEC DIMENSION BATCH_SIZE BATCHES [KEY=VALUE...]
 * (store parameters).
 */
public final class StoreCrashWriter {

    private StoreCrashWriter() {
    }

    /**
     * Writes the batches.
     *
     * @param args SPEC DIMENSION BATCH_SIZE BATCHES [KEY=VALUE...]
     */
    public static void main(String[] args) {
        StoreSpec spec = StoreSpec.parse(args[0]);
        int dimension = Integer.parseInt(args[1]);
        int batchSize = Integer.parseInt(args[2]);
        int batches = Integer.parseInt(args[3]);
        StoreOptions.Builder options = StoreOptions.builder().optSchemaForNewStore(
                new StoreSchema(dimension, Metric.EUCLIDEAN, List.of(), Optional.empty(), Map.of()));
        for (int i = 4; i < args.length; i++) {
            int equals = args[i].indexOf('=');
            options.addParameter(args[i].substring(0, equals), args[i].substring(equals + 1));
        }
        try (VectorStore store = VectorStores.open(spec, options.build())) {
            for (int b = 0; b < batches; b++) {
                store.write(batch(b, batchSize, dimension));
                System.out.println("committed " + b);
                System.out.flush();
            }
        }
        System.out.println("finished");
        System.out.flush();
    }

    /** Returns batch number {@code b}: ids {@code batchB/I}, stamps {@code batch B}. */
    static StoreBatch batch(int b, int batchSize, int dimension) {
        Random random = new Random(b);
        StoreBatch.Builder batch = StoreBatch.builder();
        for (int i = 0; i < batchSize; i++) {
            float[] v = new float[dimension];
            for (int j = 0; j < dimension; j++) {
                v[j] = (float) random.nextGaussian();
            }
            batch.addPut("batch" + b + "/" + i, v, "batch " + b);
        }
        return batch.build();
    }
}
