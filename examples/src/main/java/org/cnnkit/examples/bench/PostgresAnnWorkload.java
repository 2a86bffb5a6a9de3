package org.cnnkit.examples.bench;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
    private static final int K = 10;

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
            timedPass(spec, collection, data, EF_SEARCH[0]);
            for (int ef : EF_SEARCH) {
                double[] qpsAndRecall = timedPass(spec, collection, data, ef);
                if (qpsAndRecall[1] >= 0.95) {
                    Map<String, Object> extra = new LinkedHashMap<>();
                    extra.put("recall_at_10", Math.round(qpsAndRecall[1] * 10_000) / 10_000.0);
                    extra.put("ef", ef);
                    extra.put("build_s", Math.round(buildSeconds * 10) / 10.0);
                    extra.put("n", n);
                    extra.put("dim", d);
                    extra.put("k", K);
                    extra.put("m", 16);
                    extra.put("ef_construction", 64);
                    store.sizeOnServer().forEach((key, bytes) -> extra.put(key + "_mib",
                            Math.round(bytes / 1048576.0)));
                    return new BenchResult(NAME, qpsAndRecall[0], "queries/s", peer, PeakMemory.peakRssMib(), extra);
                }
            }
            throw new CnnkitException(NAME + ": no hnsw.ef_search up to " + EF_SEARCH[EF_SEARCH.length - 1]
                    + " reached recall@10 0.95");
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

    /** Runs the queries one at a time on one store at one ef_search; returns queries/s and recall@10. */
    private static double[] timedPass(StoreSpec spec, String collection, AnnDataset data, int ef) {
        float[][] queries = data.queries();
        @SuppressWarnings("unchecked")
        List<Match>[] found = new List[queries.length];
        double seconds;
        try (PostgresVectorStore store = PostgresVectorStore.open(spec, StoreOptions.builder()
                .addParameter("collection", collection).addParameter("ef-search", Integer.toString(ef)).build())) {
            store.search(new float[][] {queries[0]}, K);
            long start = System.nanoTime();
            for (int q = 0; q < queries.length; q++) {
                found[q] = store.search(new float[][] {queries[q]}, K).get(0);
            }
            seconds = (System.nanoTime() - start) / 1e9;
        }
        double recall = 0;
        for (int q = 0; q < queries.length; q++) {
            Set<Integer> truth = new HashSet<>();
            for (int i = 0; i < K; i++) {
                truth.add(data.truth()[q][i]);
            }
            int hits = 0;
            for (Match m : found[q]) {
                hits += truth.contains(Integer.parseInt(m.id())) ? 1 : 0;
            }
            recall += hits / (double) K;
        }
        return new double[] {queries.length / seconds, recall / queries.length};
    }
}
