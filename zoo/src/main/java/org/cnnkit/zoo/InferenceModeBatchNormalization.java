package org.cnnkit.zoo;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;
import org.cnnkit.core.training.InferenceModeNormalization;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A batch normalization that stays in inference mode while the network trains, as Keras runs one called with
 * {@code training=False} and PyTorch one in {@code eval()} mode: it normalizes with its running mean and variance
 * (never the batch's), never updates them, and learns gamma and beta ({@code y = gamma (x - mean) / sqrt(var + eps)
 * + beta}, so the gradients are {@code dgamma = sum(dy * xhat)}, {@code dbeta = sum(dy)} and {@code dx = dy * gamma /
 * sqrt(var + eps)}). DL4J's own {@link BatchNormalization} always trains on batch statistics.
 *
 * <p>The parameters (gamma, beta, mean, variance, or DL4J's log10 standard deviation) are laid out as in
 * {@link BatchNormalization}, so {@link #of} and {@link #toPlain} convert layers in place of each other without
 * touching the parameter arrays. cnnkit uses it only while fine-tuning ({@link MobileNetV2FineTuning}) and gives back
 * networks with plain batch normalizations, which every cnnkit path (model files, inference plans, ONNX export)
 * reads. As an {@link InferenceModeNormalization}, it is one of the layers a
 * {@link org.cnnkit.core.training.CompiledTrainingStep} compiles.
 */
public class InferenceModeBatchNormalization extends BatchNormalization implements InferenceModeNormalization {

    /** For JSON deserialization and {@link #of}; use {@link #of} to convert a configured layer. */
    public InferenceModeBatchNormalization() {
    }

    /**
     * Returns an inference-mode copy of a batch normalization's configuration: every setting (epsilon, channels,
     * data format, updater...) as in {@code plain}.
     *
     * @param plain a DL4J batch normalization configuration
     * @return the inference-mode copy
     */
    public static InferenceModeBatchNormalization of(BatchNormalization plain) {
        InferenceModeBatchNormalization copy = new InferenceModeBatchNormalization();
        copySettings(plain, copy);
        return copy;
    }

    /**
     * Returns a plain DL4J batch normalization with every setting of this one (it trains on batch statistics again).
     *
     * @return the plain copy
     */
    public BatchNormalization toPlain() {
        BatchNormalization plain = new BatchNormalization();
        copySettings(this, plain);
        return plain;
    }

    /**
     * Makes the layer: DL4J's batch normalization that runs in inference mode in training too.
     *
     * @param conf the layer's configuration
     * @param trainingListeners the network's listeners
     * @param layerIndex the layer's index in the network
     * @param layerParamsView the layer's view of the network's parameters
     * @param initializeParams whether to initialise the parameters
     * @param networkDataType the network's data type
     * @return the layer
     */
    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
            Collection<TrainingListener> trainingListeners, int layerIndex, INDArray layerParamsView,
            boolean initializeParams, DataType networkDataType) {
        LayerValidation.assertNOutSet("InferenceModeBatchNormalization", getLayerName(), layerIndex, getNOut());
        InferenceModeBatchNormLayer layer = new InferenceModeBatchNormLayer(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        ParamInitializer initializer = initializer();
        Map<String, INDArray> paramTable = initializer.init(conf, layerParamsView, initializeParams);
        layer.setParamTable(paramTable);
        layer.setConf(conf);
        return layer;
    }

    /**
     * Copies this configuration.
     *
     * @return the copy
     */
    @Override
    public InferenceModeBatchNormalization clone() {
        return (InferenceModeBatchNormalization) super.clone();
    }

    /** Copies every instance field declared by {@link BatchNormalization} and its superclasses. */
    private static void copySettings(BatchNormalization from, BatchNormalization to) {
        for (Class<?> type = BatchNormalization.class; type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    field.set(to, field.get(from));
                } catch (IllegalAccessException | RuntimeException e) {
                    throw new IllegalStateException("cannot copy the batch normalization setting " + field.getName()
                            + " of this DL4J version", e);
                }
            }
        }
    }
}
