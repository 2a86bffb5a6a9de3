package org.cnnkit.zoo;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The layer of {@link InferenceModeBatchNormalization}: DL4J's batch normalization run in inference mode in training
 * too (running statistics, which stay as they are), with the gradients of that affine map.
 *
 * <p>Both passes write their full-size arrays only into the network's workspaces. DL4J's own inference path
 * ({@code BatchNormalization.preOutput}) computes the same values but also leaves copies of two full-size
 * intermediate arrays ({@code xMu}, {@code xHat}) detached from every workspace on the layer: two arrays of the
 * layer's output size per layer and step, freed only when the Java garbage collector runs, which a training loop
 * with a small Java heap rarely triggers (about 14 MB a step on the fine-tuned tail of MobileNetV2 alpha 0.35 at
 * 100x100).
 */
final class InferenceModeBatchNormLayer extends BatchNormalization {

    InferenceModeBatchNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    /** {@code gamma (x - mean) / std + beta}, computed as {@code (x - mean) * (gamma / std) + beta}. */
    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        INDArray x = input.castTo(dataType);
        int channelAxis = channelAxis(x);
        INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray scale = gamma(mean).div(std(mean));
        INDArray beta = layerConf().isLockGammaBeta()
                ? Nd4j.valueArrayOf(mean.shape(), layerConf().getBeta(), mean.dataType())
                : getParam(BatchNormalizationParamInitializer.BETA).reshape(-1);
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, x.dataType(), x.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastSubOp(x, mean, out, channelAxis));
        Nd4j.getExecutioner().exec(new BroadcastMulOp(out, scale, out, channelAxis));
        Nd4j.getExecutioner().exec(new BroadcastAddOp(out, beta, out, channelAxis));
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf = layerConf();
        int channelAxis = channelAxis(epsilon);
        int[] otherAxes = epsilon.rank() == 2 ? new int[] {0}
                : channelAxis == 1 ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
        INDArray x = input.castTo(epsilon.dataType());
        INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray std = std(mean);

        Gradient gradient = new DefaultGradient();
        if (!conf.isLockGammaBeta()) {
            // in the network's working-memory workspace, not outside any: a [batch, channels, h, w] array a layer and
            // step made outside one stays allocated until the next garbage collection
            INDArray xHat = workspaceMgr.createUninitialized(ArrayType.BP_WORKING_MEM, x.dataType(), x.shape(), 'c');
            Nd4j.getExecutioner().exec(new BroadcastSubOp(x, mean, xHat, channelAxis));
            Nd4j.getExecutioner().exec(new BroadcastMulOp(xHat, Transforms.pow(std, -1, true), xHat, channelAxis));
            INDArray dGamma = gradientViews.get(BatchNormalizationParamInitializer.GAMMA);
            INDArray dBeta = gradientViews.get(BatchNormalizationParamInitializer.BETA);
            dGamma.assign(xHat.muli(epsilon).sum(otherAxes).reshape(dGamma.shape()));
            dBeta.assign(epsilon.sum(otherAxes).reshape(dBeta.shape()));
            gradient.setGradientFor(BatchNormalizationParamInitializer.GAMMA, dGamma);
            gradient.setGradientFor(BatchNormalizationParamInitializer.BETA, dBeta);
        }
        // the running statistics are fixed: zero gradient (their updater is a no-op that subtracts it)
        for (String statistic : new String[] {BatchNormalizationParamInitializer.GLOBAL_MEAN,
                conf.isUseLogStd() ? BatchNormalizationParamInitializer.GLOBAL_LOG_STD
                        : BatchNormalizationParamInitializer.GLOBAL_VAR}) {
            INDArray view = gradientViews.get(statistic);
            view.assign(0);
            gradient.setGradientFor(statistic, view);
        }
        INDArray scale = gamma(mean).div(std);
        INDArray nextEpsilon = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(),
                epsilon.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(epsilon, scale, nextEpsilon, channelAxis));
        return new Pair<>(gradient, nextEpsilon);
    }

    /** The channel dimension of an activation or gradient array of this layer. */
    private int channelAxis(INDArray array) {
        return array.rank() == 4 && layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
    }

    /**
     * The standard deviation per channel as DL4J's inference path computes it: {@code sqrt(var + eps)}, where a layer
     * storing {@code log10stdev} has {@code var = (10^log10stdev)^2}.
     */
    private INDArray std(INDArray like) {
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf = layerConf();
        INDArray variance;
        if (conf.isUseLogStd()) {
            variance = Transforms.pow(Nd4j.valueArrayOf(like.shape(), 10.0, like.dataType()),
                    getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1), false);
            variance.muli(variance);
        } else {
            variance = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(-1).dup();
        }
        return Transforms.sqrt(variance.addi(conf.getEps()), false);
    }

    /** Gamma per channel: the learnt one, or the configured constant when gamma and beta are locked. */
    private INDArray gamma(INDArray like) {
        return layerConf().isLockGammaBeta()
                ? Nd4j.valueArrayOf(like.shape(), layerConf().getGamma(), like.dataType())
                : getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1);
    }
}
