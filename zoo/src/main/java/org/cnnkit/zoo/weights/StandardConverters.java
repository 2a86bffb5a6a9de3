package org.cnnkit.zoo.weights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The built-in Keras-to-DL4J conversions, one per layer type, and the array conversions they use.
 *
 * <p>Layouts: a Keras Conv2D kernel is {@code [kh, kw, in, out]} (HWIO), DL4J's is {@code [out, in, kh, kw]}; a
 * Keras DepthwiseConv2D kernel is {@code [kh, kw, in, multiplier]}, as is DL4J's; a Keras Dense kernel is
 * {@code [in, out]}, as is DL4J's; biases and BatchNormalization vectors are {@code [n]} in Keras and
 * {@code [1, n]} in DL4J.
 */
final class StandardConverters {

    static final List<KerasLayerConverter> ALL = List.of(
            new DepthwiseConv2dConverter(), new Conv2dConverter(), new DenseConverter(), new BatchNormConverter());

    private StandardConverters() {
    }

    /** Keras Conv2D kernel {@code [kh, kw, in, out]} to DL4J {@code [out, in, kh, kw]}. */
    static INDArray convKernelToDl4j(INDArray hwio) {
        return hwio.permute(3, 2, 0, 1).dup('c');
    }

    /** DL4J convolution weight shape {@code [out, in, kh, kw]} to the Keras kernel shape {@code [kh, kw, in, out]}. */
    static long[] convKernelShapeToKeras(long[] oihw) {
        return new long[] {oihw[2], oihw[3], oihw[1], oihw[0]};
    }

    /**
     * Reorders the rows of a Keras Dense kernel that follows a Flatten of a channels-last {@code [h, w, c]} feature
     * map, so that they match DL4J's flattening of a channels-first {@code [c, h, w]} map.
     */
    static INDArray denseKernelFromHwcToChw(INDArray kernel, long h, long w, long c) {
        long out = kernel.size(1);
        return kernel.reshape('c', h, w, c, out).permute(2, 0, 1, 3).dup('c').reshape('c', c * h * w, out);
    }

    /** Keras moving variance to DL4J's {@code log10stdev} parameter: {@code log10(sqrt(var + eps))}. */
    static INDArray varianceToLog10Std(INDArray variance, double eps) {
        return Transforms.log(Transforms.sqrt(variance.add(eps), false), 10.0, false);
    }

    /** Reshapes a vector to the DL4J parameter shape (such as {@code [1, n]}). */
    private static INDArray vector(INDArray keras, long[] shape) {
        return keras.reshape('c', shape).dup('c');
    }

    private static long[] vectorShape(long[] dl4jShape) {
        long n = 1;
        for (long d : dl4jShape) {
            n *= d;
        }
        return new long[] {n};
    }

    /** The Keras weights of a layer with a kernel named {@code kernelName} and, when the layer has one, a bias. */
    private static List<KerasWeightSpec> kernelAndBias(TargetLayer target, String kernelName, long[] kernelShape) {
        List<KerasWeightSpec> specs = new ArrayList<>();
        specs.add(new KerasWeightSpec(kernelName, kernelShape));
        if (target.hasParam("b")) {
            specs.add(new KerasWeightSpec("bias", vectorShape(target.paramShape("b"))));
        }
        return specs;
    }

    /** DL4J's {@code W} (already converted) and, when the layer has one, {@code b} from the Keras {@code bias}. */
    private static Map<String, INDArray> weightsAndBias(TargetLayer target, INDArray w,
            Map<String, INDArray> kerasWeights) {
        Map<String, INDArray> params = new LinkedHashMap<>();
        params.put("W", w);
        if (target.hasParam("b")) {
            params.put("b", vector(kerasWeights.get("bias"), target.paramShape("b")));
        }
        return params;
    }

    /** Conv2D: {@code kernel} (and {@code bias} when the layer has one). */
    static final class Conv2dConverter implements KerasLayerConverter {

        @Override
        public boolean supports(TargetLayer target) {
            return target.config().getClass() == ConvolutionLayer.class;
        }

        @Override
        public List<KerasWeightSpec> expectedWeights(TargetLayer target) {
            return kernelAndBias(target, "kernel", convKernelShapeToKeras(target.paramShape("W")));
        }

        @Override
        public Map<String, INDArray> convert(TargetLayer target, Map<String, INDArray> kerasWeights) {
            return weightsAndBias(target, convKernelToDl4j(kerasWeights.get("kernel")), kerasWeights);
        }
    }

    /** DepthwiseConv2D: {@code depthwise_kernel} (same layout in both) and optional {@code bias}. */
    static final class DepthwiseConv2dConverter implements KerasLayerConverter {

        @Override
        public boolean supports(TargetLayer target) {
            return target.config() instanceof DepthwiseConvolution2D;
        }

        @Override
        public List<KerasWeightSpec> expectedWeights(TargetLayer target) {
            return kernelAndBias(target, "depthwise_kernel", target.paramShape("W"));
        }

        @Override
        public Map<String, INDArray> convert(TargetLayer target, Map<String, INDArray> kerasWeights) {
            return weightsAndBias(target, kerasWeights.get("depthwise_kernel").dup('c'), kerasWeights);
        }
    }

    /**
     * Dense ({@code DenseLayer} or an {@code OutputLayer}): {@code kernel [in, out]} and optional {@code bias}.
     * When the layer's input is a flattened NCHW feature map (a {@code CnnToFeedForwardPreProcessor}, as after
     * VGG16's {@code flatten}), the kernel rows are reordered from Keras' channels-last flattening to DL4J's.
     */
    static final class DenseConverter implements KerasLayerConverter {

        @Override
        public boolean supports(TargetLayer target) {
            return target.config() instanceof DenseLayer || target.config() instanceof BaseOutputLayer;
        }

        @Override
        public List<KerasWeightSpec> expectedWeights(TargetLayer target) {
            return kernelAndBias(target, "kernel", target.paramShape("W"));
        }

        @Override
        public Map<String, INDArray> convert(TargetLayer target, Map<String, INDArray> kerasWeights) {
            INDArray kernel = kerasWeights.get("kernel");
            if (target.preProcessor() instanceof CnnToFeedForwardPreProcessor flatten
                    && flatten.getFormat() == CNN2DFormat.NCHW) {
                kernel = denseKernelFromHwcToChw(kernel,
                        flatten.getInputHeight(), flatten.getInputWidth(), flatten.getNumChannels());
            }
            // no copy: KerasWeights assigns the result into the layer's own parameter (VGG16's fc1 is 411 MB)
            return weightsAndBias(target, kernel, kerasWeights);
        }
    }

    /**
     * BatchNormalization: {@code gamma}, {@code beta}, {@code moving_mean}, {@code moving_variance} to DL4J's
     * {@code gamma}, {@code beta}, {@code mean} and {@code var} (or {@code log10stdev} when the layer stores the
     * log standard deviation, computed with the layer's epsilon).
     */
    static final class BatchNormConverter implements KerasLayerConverter {

        @Override
        public boolean supports(TargetLayer target) {
            return target.config() instanceof BatchNormalization;
        }

        @Override
        public List<KerasWeightSpec> expectedWeights(TargetLayer target) {
            long[] shape = vectorShape(target.paramShape(BatchNormalizationParamInitializer.GLOBAL_MEAN));
            List<KerasWeightSpec> specs = new ArrayList<>();
            if (target.hasParam(BatchNormalizationParamInitializer.GAMMA)) {
                specs.add(new KerasWeightSpec("gamma", shape));
                specs.add(new KerasWeightSpec("beta", shape));
            }
            specs.add(new KerasWeightSpec("moving_mean", shape));
            specs.add(new KerasWeightSpec("moving_variance", shape));
            return specs;
        }

        @Override
        public Map<String, INDArray> convert(TargetLayer target, Map<String, INDArray> kerasWeights) {
            BatchNormalization config = (BatchNormalization) target.config();
            Map<String, INDArray> params = new LinkedHashMap<>();
            long[] shape = target.paramShape(BatchNormalizationParamInitializer.GLOBAL_MEAN);
            if (target.hasParam(BatchNormalizationParamInitializer.GAMMA)) {
                params.put(BatchNormalizationParamInitializer.GAMMA, vector(kerasWeights.get("gamma"), shape));
                params.put(BatchNormalizationParamInitializer.BETA, vector(kerasWeights.get("beta"), shape));
            }
            params.put(BatchNormalizationParamInitializer.GLOBAL_MEAN, vector(kerasWeights.get("moving_mean"), shape));
            INDArray variance = vector(kerasWeights.get("moving_variance"), shape);
            if (target.hasParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
                params.put(BatchNormalizationParamInitializer.GLOBAL_LOG_STD,
                        varianceToLog10Std(variance, config.getEps()));
            } else {
                params.put(BatchNormalizationParamInitializer.GLOBAL_VAR, variance);
            }
            return params;
        }
    }
}
