package org.cnnkit.examples.bench;

import java.nio.file.Path;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.zoo.onnx.OnnxExport;

/**
 * The child JVM that writes a benchmark network as an ONNX model before an ONNX Runtime workload times it, as the ONNX
 * Runtime peer's models are written by another process ({@code export_onnx.py}) before {@code OrtPeer} times them:
 * the JVM that is timed then only opens the model, without the DL4J graph, its weights and the Java code that built
 * and exported it (which the JIT compiler would still be compiling on the 2 cores during the timed batches).
 */
final class BenchModelExport {

    private BenchModelExport() {
    }

    /**
     * Writes one network.
     *
     * @param args a network id ({@link BenchNetworks#network}) and the ONNX file to write
     */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: BenchModelExport NETWORK-ID FILE.onnx");
            System.exit(2);
        }
        BenchNetworks.BenchNetwork network = BenchNetworks.network(args[0]);
        OnnxExport.builder().setNetwork(network.graph()).setInputShape(network.shape())
                .setPreprocessing(Preprocessing.NONE).build().write(Path.of(args[1]));
    }
}
