package org.cnnkit.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.cnnkit.core.CnnkitException;
import org.cnnkit.core.image.InputShape;
import org.cnnkit.core.image.Preprocessing;
import org.cnnkit.core.runtime.NativeRuntime;
import org.cnnkit.core.runtime.ParallelInference;
import org.cnnkit.zoo.IdleThreads;
import org.cnnkit.zoo.InferenceEngine;
import org.cnnkit.zoo.InferenceFolding;
import org.cnnkit.zoo.InferenceSession;
import org.cnnkit.zoo.MobileNetV2;
import org.cnnkit.zoo.SeedCnn;
import org.cnnkit.zoo.Vgg16;
import org.cnnkit.zoo.onnx.OnnxRuntimeSession;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The benchmark's networks, with the same shapes as the PyTorch peer's (random weights: speed does not depend on
 * them): the zoo's notebook CNN, MobileNetV2 and VGG16, and the Dense(128, relu) + Dense(n, softmax) head that the
 * frozen-base transfer workload trains on pooled MobileNetV2 features.
 */
final class BenchNetworks {

    private BenchNetworks() {
    }

    /**
     * The notebook's CNN from the zoo ({@link SeedCnn#NOTEBOOK}). {@link NativeRuntime#accelerate} is a no-op when the
     * factory already installed the fast paths.
     */
    static ComputationGraph seedCnn(int size, int classes) {
        return NativeRuntime.accelerate(SeedCnn.NOTEBOOK.create(InputShape.rgb(size), classes, 0));
    }

    /**
     * The zoo's MobileNetV2 up to {@value MobileNetV2#OUTPUT_NAME} (torchvision's {@code features}: the last 1x1
     * convolution, BatchNormalization and ReLU6), random weights, square input of {@code size}.
     */
    static ComputationGraph mobileNetV2Features(double alpha, int size) {
        return MobileNetV2.builder().optAlpha(alpha).setInputShape(InputShape.rgb(size)).build().newGraph();
    }

    /**
     * {@link #mobileNetV2Features} with batch normalization and padding folded into the convolutions, as cnnkit's
     * MobileNetV2 feature extractor runs it ({@link InferenceFolding}), behind a {@link ParallelInference}: what the
     * {@code mnv2-*-infer-*} workloads and {@link SteadyStateInference} time.
     */
    static ParallelInference foldedMobileNetV2Inference(double alpha, int size) {
        return ParallelInference.of(foldedMobileNetV2(alpha, size));
    }

    /** {@link #mobileNetV2Features} folded as cnnkit's MobileNetV2 feature extractor runs it. */
    static ComputationGraph foldedMobileNetV2(double alpha, int size) {
        return InferenceFolding.fold(mobileNetV2Features(alpha, size), InputShape.rgb(size));
    }

    /** A benchmark network, built on demand, and its input shape. */
    record BenchNetwork(String id, Supplier<ComputationGraph> builder, InputShape shape) {

        /** {@return a new graph of this network} */
        ComputationGraph graph() {
            return builder.get();
        }
    }

    /**
     * The networks of the inference workloads by id: {@code cnn-<size>} (the notebook CNN, 3 classes),
     * {@code mnv2-folded-<alpha>-<size>} ({@link #foldedMobileNetV2}), {@code vgg16-fc2-<size>} ({@link #vgg16Fc2}).
     *
     * @param id the id
     * @return the network
     * @throws CnnkitException if the id is not one of these
     */
    static BenchNetwork network(String id) {
        String[] parts = id.split("-");
        try {
            if (parts.length == 2 && parts[0].equals("cnn")) {
                int size = Integer.parseInt(parts[1]);
                return new BenchNetwork(id, () -> seedCnn(size, 3), InputShape.rgb(size));
            }
            if (parts.length == 4 && parts[0].equals("mnv2") && parts[1].equals("folded")) {
                double alpha = Double.parseDouble(parts[2]);
                int size = Integer.parseInt(parts[3]);
                return new BenchNetwork(id, () -> foldedMobileNetV2(alpha, size), InputShape.rgb(size));
            }
            if (parts.length == 3 && parts[0].equals("vgg16") && parts[1].equals("fc2")) {
                int size = Integer.parseInt(parts[2]);
                return new BenchNetwork(id, () -> vgg16Fc2(size), InputShape.rgb(size));
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new CnnkitException("unknown benchmark network '" + id
                + "'; known: cnn-<size>, mnv2-folded-<alpha>-<size>, vgg16-fc2-<size>");
    }

    /**
     * A session on an engine (null: the fastest available) for a benchmark network. DL4J's session runs the graph
     * built in this JVM; an ONNX Runtime session is {@link #onnxSession} with sleeping idle threads.
     */
    static InferenceSession session(BenchNetwork network, InferenceEngine engine) {
        InferenceEngine chosen = engine != null ? engine : InferenceEngine.fastest();
        if (chosen == InferenceEngine.DL4J) {
            return chosen.open(network.graph(), network.shape(), Preprocessing.NONE);
        }
        return onnxSession(network, IdleThreads.SLEEP);
    }

    /**
     * An ONNX Runtime session for a benchmark network. A child JVM ({@link BenchModelExport}) builds the graph and
     * exports it to a temporary file, and this JVM only opens that file, as the ONNX Runtime peer only opens a model
     * that another process wrote: neither the DL4J graph's weights nor the JIT compilation of the code that built and
     * exported it are in this JVM's peak memory and timed batches (as in a service loading an exported model).
     */
    static OnnxRuntimeSession onnxSession(BenchNetwork network, IdleThreads idleThreads) {
        InferenceEngine.ONNX_RUNTIME.requireAvailable();
        Path file = null;
        try {
            file = Files.createTempFile("cnnkit-bench-", ".onnx");
            Process child = new ProcessBuilder(ChildJvm.command(BenchModelExport.class,
                    List.of(network.id(), file.toString())))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            int exit = child.waitFor();
            if (exit != 0) {
                throw new CnnkitException("the JVM exporting benchmark network " + network.id()
                        + " to ONNX exited with " + exit + " (its log is above)");
            }
            return OnnxRuntimeSession.open(file, idleThreads);
        } catch (IOException e) {
            throw new CnnkitException("cannot export benchmark network " + network.id() + " to a temporary ONNX file: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CnnkitException("interrupted while exporting benchmark network " + network.id(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    file.toFile().deleteOnExit();
                }
            }
        }
    }

    /**
     * The trainable head of the frozen-base transfer model, as the library's transfer learner trains it on cached
     * features: Dense({@code features} to 128, relu), Dense({@code classes}, softmax), cross-entropy, Adam 1e-3.
     */
    static ComputationGraph transferHead(int features, int classes) {
        NativeRuntime.ensureConfigured();
        ComputationGraph head = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(0)
                .dataType(DataType.FLOAT)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .graphBuilder()
                .addInputs("features")
                .setInputTypes(InputType.feedForward(features))
                .addLayer("dense", new DenseLayer.Builder().nOut(128).activation(Activation.RELU).build(), "features")
                .addLayer("predictions", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("predictions")
                .build());
        head.init();
        return NativeRuntime.accelerate(head);
    }

    /**
     * The zoo's VGG16 up to {@value Vgg16#FC2} (with its ReLU), random weights, square input of {@code size}, built
     * channels-last as the {@code Vgg16Fc2} extractor builds it.
     */
    static ComputationGraph vgg16Fc2(int size) {
        return Vgg16.builder().optInputSize(size).optFeaturesOnly(true).optChannelsLast(true).build();
    }
}
