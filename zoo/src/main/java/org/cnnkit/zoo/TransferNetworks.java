package org.cnnkit.zoo;

import org.cnnkit.core.runtime.NativeRuntime;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The graphs of MobileNetV2 transfer learning: the pooled base (feature extractor), the head alone (trained on
 * cached features) and the whole classifier (base + GlobalAveragePooling + Dense(relu) + Dense(softmax)).
 */
final class TransferNetworks {

    /** The global average pooling after {@code out_relu}. */
    static final String POOL = MobileNetV2.POOLED_OUTPUT_NAME;
    /** The hidden dense layer of the head. */
    static final String DENSE = "dense";
    /** The softmax output layer. */
    static final String OUTPUT = "predictions";
    /** The input of the head-only graph. */
    static final String FEATURES = "features";

    private TransferNetworks() {
    }

    /** The base followed by global average pooling: images to {@code [N, channels]} features. */
    static ComputationGraph pooledBase(ComputationGraph base) {
        return MobileNetV2.withGlobalAveragePooling(base);
    }

    /** The head alone: {@code [N, channels]} features to class probabilities, with Adam. */
    static ComputationGraph head(int channels, int hidden, int classes, double learningRate, long seed) {
        ComputationGraph head = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))
                .weightInit(WeightInit.XAVIER_UNIFORM)
                .graphBuilder()
                .addInputs(FEATURES)
                .setInputTypes(InputType.feedForward(channels))
                .addLayer(DENSE, dense(hidden).build(), FEATURES)
                .addLayer(OUTPUT, output(classes).build(), DENSE)
                .setOutputs(OUTPUT)
                .build());
        head.init();
        return head;
    }

    /**
     * The whole classifier: the base with every vertex up to and including {@code frozenUpTo} frozen, then the
     * pooling and the head, with the weights of {@code trainedHead}'s {@link #DENSE} and {@link #OUTPUT} layers when
     * it is not null (a head from {@link #head} or a whole classifier from this method).
     */
    static ComputationGraph classifier(ComputationGraph base, String frozenUpTo, int channels, int hidden,
            int classes, double learningRate, long seed, ComputationGraph trainedHead) {
        ComputationGraph network = new TransferLearning.GraphBuilder(base)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder()
                        .updater(new Adam(learningRate))
                        .seed(seed)
                        .build())
                .setFeatureExtractor(frozenUpTo)
                .addLayer(POOL, pool(), MobileNetV2.OUTPUT_NAME)
                .addLayer(DENSE, dense(hidden).nIn(channels).build(), POOL)
                .addLayer(OUTPUT, output(classes).nIn(hidden).build(), DENSE)
                .setOutputs(OUTPUT)
                .build();
        if (trainedHead != null) {
            network.getLayer(DENSE).params().assign(trainedHead.getLayer(DENSE).params());
            network.getLayer(OUTPUT).params().assign(trainedHead.getLayer(OUTPUT).params());
        }
        return NativeRuntime.accelerate(network);
    }

    private static GlobalPoolingLayer pool() {
        return new GlobalPoolingLayer.Builder(PoolingType.AVG).build();
    }

    private static DenseLayer.Builder dense(int hidden) {
        return new DenseLayer.Builder().nOut(hidden).activation(Activation.RELU)
                .weightInit(WeightInit.XAVIER_UNIFORM);
    }

    private static OutputLayer.Builder output(int classes) {
        return new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                .activation(Activation.SOFTMAX).weightInit(WeightInit.XAVIER_UNIFORM);
    }
}
