package org.cnnkit.examples.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.retrieval.Match;
import org.cnnkit.retrieval.Metric;
import org.cnnkit.retrieval.store.StoreBatch;
import org.cnnkit.retrieval.store.StoreOptions;
import org.cnnkit.retrieval.store.StoreSchema;
import org.cnnkit.retrieval.store.StoreSpec;
import org.cnnkit.retrieval.store.postgres.PostgresVectorStore;

/**
 * {@code ann-300k-128-postgres}: the ann peer's workload ({@code ../shared/bench/ann/ann_peer.py}) on the postgres
 * store, against the server named by {@code -Dcnnkit.postgres.url} (or the environment variable
 * {@code CNNKIT_POSTGRES_URL}; a password comes from {@code PGPASSWORD}). Loads the 300,000 base vectors (Euclidean,
 * no transforms, pgvector's build defaults m 16 and ef_construction 64) in one batch: binary COPY into a new table,
 * then the HNSW index built over it, all counted in {@code build_s}. Then runs the 1,000 queries one at a time on one
 * thread at increasing {@code hnsw.ef_search} and reports queries/s at the smallest one whose recall@10 against the
 * exact ground truth is at least 0.95. One untimed pass of the queries warms the JIT, the connection and the server's
 * cache first. {@code peak_rss_mib} is the JVM's; the server's table and index sizes are reported beside it. The
 * collection is dropped at the end.
 */
final class PostgresAnnWorkload {

    static final String NAME = "ann-300k-128-postgres";

    /** The system property with the server's JDBC URL. */
    static final String URL_PROPERTY = "cnnkit.postgres.url";

    private static final int[] EF_SEARCH = {10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1000};

    private PostgresAnnWorkload() {
    }

    static BenchResult run(String peer) {
        StoreSpec spec = new StoreSpec(StoreSpec.Kind.POSTGRES, serverUrl());
        AnnDataset data = AnnDataset.read();
        int n = data.base().length;
        int d = data.base()[0].length;
        String collection = "bench_ann_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10)
                .toLowerCase(Locale.ROOT);
        StoreSchema schema = new StoreSchema(d, Metric.EUCLIDEAN, List.of(), Optional.empty(), Map.of());
        PostgresVectorStore store = PostgresVectorStore.open(spec, StoreOptions.builder()
                .addParameter("collection", collection).optSchemaForNewStore(schema).build());
        try {
            StoreBatch.Builder batch = StoreBatch.builder();
            for (int i = 0; i < n; i++) {
                batch.addPut(Integer.toString(i), data.base()[i], null);
            }
            StoreBatch all = batch.build();
            long start = System.nanoTime();
            store.write(all);
            double buildSeconds = (System.nanoTime() - start) / 1e9;
            AnnSweep.Pass pass = AnnSweep.firstReachingRecall(NAME, "hnsw.ef_search", EF_SEARCH,
                    ef -> timedPass(spec, collection, data, ef));
            Map<String, Object> extra = AnnSweep.extra(pass, buildSeconds, data);
            extra.put("m", 16);
            extra.put("ef_construction", 64);
            store.sizeOnServer().forEach((key, bytes) -> extra.put(key + "_mib", Math.round(bytes / 1048576.0)));
            return new BenchResult(NAME, pass.queriesPerSecond(), "queries/s", peer, PeakMemory.peakRssMib(), extra);
        } finally {
            store.drop();
        }
    }

    private static String serverUrl() {
        String url = System.getProperty(URL_PROPERTY, "").trim();
        if (url.isEmpty()) {
            url = Optional.ofNullable(System.getenv("CNNKIT_POSTGRES_URL")).orElse("").trim();
        }
        if (url.isEmpty()) {
            throw new CnnkitException(NAME + " needs a PostgreSQL server with pgvector: pass -D" + URL_PROPERTY
                    + "=jdbc:postgresql://HOST:PORT/DB?user=USER to the JVM (or set CNNKIT_POSTGRES_URL), the "
                    + "password in PGPASSWORD");
        }
        return url;
    }

    /** Runs the queries one at a time on one store at one ef_search. */
    private static AnnSweep.Pass timedPass(StoreSpec spec, String collection, AnnDataset data, int ef) {
        float[][] queries = data.queries();
        @SuppressWarnings("unchecked")
        List<Match>[] found = new List[queries.length];
        double seconds;
        try (PostgresVectorStore store = PostgresVectorStore.open(spec, StoreOptions.builder()
                .addParameter("collection", collection).addParameter("ef-search", Integer.toString(ef)).build())) {
            store.search(new float[][] {queries[0]}, AnnSweep.K);
            long start = System.nanoTime();
            for (int q = 0; q < queries.length; q++) {
                found[q] = store.search(new float[][] {queries[q]}, AnnSweep.K).get(0);
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        return new AnnSweep.Pass(ef, queries.length / seconds, AnnSweep.recall(data, found));
    }
}
