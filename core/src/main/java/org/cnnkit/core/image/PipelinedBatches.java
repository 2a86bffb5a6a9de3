package org.cnnkit.core.image;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.runtime.NativeWorkers;

/**
 * Runs a two-stage pipeline over batches: while the calling thread consumes batch {@code k} (runs the network on
 * it), a background thread prepares batch {@code k + 1} (decodes and preprocesses its files), so that the network
 * does not wait for decoding. At most two prepared batches exist at a time: the one being consumed and the next.
 * Batches are consumed in order, on the calling thread; an exception of either stage ends the run and is rethrown
 * as it is (after the batches before it were consumed).
 */
public final class PipelinedBatches {

    private PipelinedBatches() {
    }

    /**
     * Prepares and consumes every batch, preparing the next while consuming the current.
     *
     * @param batches the batches' inputs (for example lists of files), in order
     * @param prepare makes a batch ready (runs on a background thread, one batch at a time)
     * @param consume uses a prepared batch (runs on the calling thread, in order)
     * @param <I> a batch's input
     * @param <P> a prepared batch
     * @throws CnnkitException if the calling thread is interrupted while it waits for a batch
     * @throws RuntimeException whatever {@code prepare} or {@code consume} throws
     */
    public static <I, P> void run(List<I> batches, Function<I, P> prepare, Consumer<P> consume) {
        if (batches.size() <= 1) {
            for (I batch : batches) {
                consume.accept(prepare.apply(batch));
            }
            return;
        }
        ExecutorService preparer = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "cnnkit-prepare-next-batch");
            thread.setDaemon(true);
            return thread;
        });
        try {
            Future<P> next = preparer.submit(() -> prepare.apply(batches.get(0)));
            for (int k = 0; k < batches.size(); k++) {
                P current = NativeWorkers.await(next, "preparing the next batch");
                next = null;
                if (k + 1 < batches.size()) {
                    I following = batches.get(k + 1);
                    next = preparer.submit(() -> prepare.apply(following));
                }
                consume.accept(current);
            }
        } finally {
            preparer.shutdownNow();
        }
    }
}
