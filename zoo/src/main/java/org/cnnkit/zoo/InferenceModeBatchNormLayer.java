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
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The layer of {@link InferenceModeBatchNormalization}: DL4J's batch normalization run in inference mode in training
 * too (running statistics, which stay as they are), with the gradients of that affine map.
 */
final class InferenceModeBatchNormLayer extends BatchNormalization {

    InferenceModeBatchNormLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        return super.activate(false, workspaceMgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        org.deeplearning4j.nn.conf.layers.BatchNormalization conf = layerConf();
        int channelAxis = epsilon.rank() == 4 && conf.getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
        int[] otherAxes = epsilon.rank() == 2 ? new int[] {0}
                : channelAxis == 1 ? new int[] {0, 2, 3} : new int[] {0, 1, 2};
        INDArray x = input.castTo(epsilon.dataType());
        INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray std = conf.isUseLogStd()
                ? Transforms.pow(Nd4j.valueArrayOf(mean.shape(), 10.0, mean.dataType()),
                        getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).reshape(-1), false)
                : Transforms.sqrt(getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(-1)
                        .add(conf.getEps()), false);
        INDArray gamma = conf.isLockGammaBeta()
                ? Nd4j.valueArrayOf(mean.shape(), conf.getGamma(), mean.dataType())
                : getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1);

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
        INDArray scale = gamma.div(std);
        INDArray nextEpsilon = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(),
                epsilon.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(epsilon, scale, nextEpsilon, channelAxis));
        return new Pair<>(gradient, nextEpsilon);
    }
}
