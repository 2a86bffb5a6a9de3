/**
 * cnnkit's benchmark against the PyTorch peer ({@code ../shared/bench/pytorch_peer.py}).
 *
 * <p>Run it with {@code java -jar examples/target/cnnkit.jar bench [WORKLOAD...]} (or {@link
 * org.cnnkit.examples.bench.BenchMain}). It prints one JSON line per workload in the peer's exact format, with the
 * peer's workload names, shapes, batch sizes and warm-up/timed iterations, plus {@code pipeline-decode-augment-100}
 * and {@code -224} (the image pipeline alone, which the peer does not have).
 *
 * <p><b>Peak memory.</b> {@code peak_rss_mib} is the process's {@code VmHWM}, which only grows. Each workload
 * therefore runs in its own child JVM, and the peer should be run once per workload too
 * ({@code pytorch_peer.py NAME}) for the two memory figures to be comparable; in one process (the peer without
 * arguments, or {@code bench --in-process}) later lines carry the peak of every workload before them.
 *
 * <p><b>Comparing.</b> Run cnnkit and the peer one workload after the other on an otherwise idle machine and divide
 * the values (cnnkit / PyTorch; above 1 means cnnkit is faster).
 */
package org.cnnkit.examples.bench;
