package org.cnnkit.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentFeatureIndexTest {

    private static final int DIMENSION = 24;

    /** The vector of an id is a function of the id, so any answer can be checked independently. */
    private static float[] vectorOf(int number) {
        Random random = new Random(number * 7919L + 17);
        float[] v = new float[DIMENSION];
        for (int j = 0; j < DIMENSION; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void searchesStayConsistentWhileOneThreadAddsAndAnotherSaves(@TempDir Path dir) throws Exception {
        FeatureIndex index = FeatureIndex.builder().setDimension(DIMENSION).optInitialCapacity(0).build();
        int initial = 200;
        int added = 600;
        for (int i = 0; i < initial; i++) {
            index.add("id" + i, vectorOf(i));
        }
        AtomicBoolean adding = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger searches = new AtomicInteger();
        AtomicInteger saves = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        threads.add(new Thread(() -> run(failures, start, () -> {
            for (int i = initial; i < initial + added; i += 3) {
                // Batches of three: a search must see all three or none of them.
                index.addAll(List.of("id" + i, "id" + (i + 1), "id" + (i + 2)),
                        new float[][] {vectorOf(i), vectorOf(i + 1), vectorOf(i + 2)}, null);
                if ((i - initial) % 30 == 0) {
                    assertThat(index.remove("id" + (i + 1))).isTrue(); // and removals
                }
            }
            adding.set(false);
        })));
        Path file = dir.resolve("live.cfi");
        threads.add(new Thread(() -> run(failures, start, () -> {
            while (adding.get()) {
                index.save(file);
                FeatureIndex copy = FeatureIndex.open(file);
                for (String id : copy.ids()) {
                    assertThat(copy.vector(id).orElseThrow()).containsExactly(vectorOf(Integer.parseInt(id.substring(2))));
                }
                saves.incrementAndGet();
            }
        })));
        for (int t = 0; t < 4; t++) {
            int seed = t;
            threads.add(new Thread(() -> run(failures, start, () -> {
                Random random = new Random(seed);
                while (adding.get()) {
                    float[][] queries = new float[3][];
                    for (int q = 0; q < queries.length; q++) {
                        queries[q] = vectorOf(random.nextInt(initial)); // always present
                    }
                    List<List<Match>> results = index.search(queries, 6);
                    for (int q = 0; q < queries.length; q++) {
                        List<Match> matches = results.get(q);
                        assertThat(matches).hasSize(6);
                        assertThat(matches.get(0).distance()).isZero();
                        float previous = -1;
                        for (Match match : matches) {
                            float[] stored = vectorOf(Integer.parseInt(match.id().substring(2)));
                            assertThat(match.distance()).isCloseTo((float) FeatureIndexTest.euclidean(queries[q], stored),
                                    org.assertj.core.api.Assertions.within(1e-4f));
                            assertThat(match.distance()).isGreaterThanOrEqualTo(previous);
                            previous = match.distance();
                        }
                    }
                    searches.incrementAndGet();
                }
            })));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (Thread thread : threads) {
            thread.join(60_000);
        }
        assertThat(failures).isEmpty();
        assertThat(searches.get()).isPositive();
        assertThat(saves.get()).isPositive();
        assertThat(index.size()).isEqualTo(initial + added - added / 30);
        FeatureIndex reopened = FeatureIndex.open(file);
        assertThat(reopened.size()).isBetween(initial, initial + added);
    }

    private static void run(ConcurrentLinkedQueue<Throwable> failures, CountDownLatch start, Runnable body) {
        try {
            start.await();
            body.run();
        } catch (Throwable e) {
            failures.add(e);
        }
    }
}
