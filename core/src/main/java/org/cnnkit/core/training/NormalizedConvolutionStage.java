package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution without bias or activation (2D, weights {@code [out, in, kH, kW]}, or depthwise, weights
 * {@code [kH, kW, in, multiplier]}; NCHW, {@code Truncate} with explicit padding) followed by an inference-mode batch
 * normalization, run as one convolution: the normalization is a fixed affine map per output channel,
 * {@code y * s + t} with {@code s = gamma / std} and {@code t = beta - mean * s}, so the pair is the convolution with
 * the weights scaled by {@code s} and the bias {@code t}. This saves the normalization's full-size operations (three
 * in its forward pass, three in its backward pass), which on MobileNetV2's fine-tuned tail at a 4x4 map cost about as
 * much as the convolutions.
 *
 * <p>The backward pass runs the convolution's backward pass with the scaled weights and the bias: its input gradient
 * is the pair's, its bias gradient is beta's, and its weight gradient {@code G} (the gradient of the scaled weights)
 * gives the others without the convolution's output: the weight gradient is {@code G * s}, and gamma's, the sum of
 * the output gradient times the normalized convolution output {@code (y - mean) / std}, is
 * {@code (sum(W * G) - mean * sum(dOut)) / std} per channel, because {@code y} is linear in {@code W}. The results are
 * those of the two layers run one after the other, up to float rounding.
 */
final class NormalizedConvolutionStage implements TrainingStage {

    private final boolean depthwise;
    private final INDArray weights;
    private final INDArray weightGradient;
    private final NativeOps convolution;
    private final NativeOps convolutionBackward;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final long outputChannels;
    private final int[] channelAxes;
    private final int[] otherWeightAxes;
    private final INDArray mean;
    private final INDArray inverseStd;
    private final INDArray gamma;
    private final INDArray beta;
    private final INDArray gammaGradient;
    private final INDArray betaGradient;
    private final INDArray scale;
    private final INDArray channelScale;
    private final INDArray shift;
    private final INDArray scaledWeights;
    private final INDArray scaledWeightGradient;
    private final INDArray product;
    private final INDArray sums;
    private final INDArray channelSums;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;

    /**
     * The convolution of the pair.
     *
     * @param where the layer, for messages
     * @param depthwise whether it is a depthwise convolution (weights {@code [kH, kW, in, multiplier]}), else a 2D
     *     convolution (weights {@code [out, in, kH, kW]})
     * @param weights the convolution's weight view
     * @param weightGradient the convolution's weight gradient view
     * @param kernel kernel height and width
     * @param stride stride height and width
     * @param padding padding height and width (on each side)
     */
    record Convolution(String where, boolean depthwise, INDArray weights, INDArray weightGradient, int[] kernel,
                       int[] stride, int[] padding) {
    }

    /**
     * Creates the stage.
     *
     * @param convolution the convolution
     * @param norm the batch normalization that reads it
     * @param first whether the convolution reads the network's input (its input gradient is then not returned)
     */
    NormalizedConvolutionStage(Convolution convolution, InferenceBatchNormStage.Parameters norm, boolean first) {
        this.depthwise = convolution.depthwise();
        this.weights = convolution.weights();
        this.weightGradient = convolution.weightGradient();
        this.kernel = convolution.kernel().clone();
        this.stride = convolution.stride().clone();
        this.padding = convolution.padding().clone();
        this.first = first;
        long[] shape = weights.shape();
        this.outputChannels = depthwise ? shape[2] * shape[3] : shape[0];
        this.channelAxes = depthwise ? new int[] {2, 3} : new int[] {0};
        this.otherWeightAxes = depthwise ? new int[] {0, 1} : new int[] {1, 2, 3};
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, NCHW (and for conv2d: weights [out, in, kH, kW])
        long[] arguments = depthwise
                ? new long[] {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0}
                : new long[] {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0, 1};
        String op = depthwise ? "depthwise_conv2d" : "conv2d";
        this.convolution = NativeOps.bind(convolution.where(), op, arguments);
        this.convolutionBackward = NativeOps.bind(convolution.where(), op + "_bp", arguments);
        this.mean = norm.mean();
        this.inverseStd = norm.inverseStd();
        this.gamma = norm.gamma();
        this.beta = norm.beta();
        this.gammaGradient = norm.gammaGradient();
        this.betaGradient = norm.betaGradient() != null ? norm.betaGradient()
                : Nd4j.createUninitialized(mean.dataType(), outputChannels);
        this.scale = Nd4j.createUninitialized(mean.dataType(), outputChannels);
        long[] channelShape = depthwise ? new long[] {shape[2], shape[3]} : new long[] {outputChannels};
        this.channelScale = scale.reshape(channelShape);
        this.shift = Nd4j.createUninitialized(mean.dataType(), outputChannels);
        this.scaledWeights = Nd4j.createUninitialized(weights.dataType(), shape);
        this.scaledWeightGradient = Nd4j.createUninitialized(weights.dataType(), shape);
        this.product = Nd4j.createUninitialized(weights.dataType(), shape);
        this.channelSums = Nd4j.createUninitialized(mean.dataType(), channelShape);
        this.sums = channelSums.reshape(outputChannels);
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        gamma.mul(inverseStd, scale);
        mean.mul(scale, shift);
        beta.sub(shift, shift);
        Nd4j.getExecutioner().exec(new BroadcastMulOp(weights, channelScale, scaledWeights, channelAxes));
        long outH = (x.size(2) + 2L * padding[0] - kernel[0]) / stride[0] + 1;
        long outW = (x.size(3) + 2L * padding[1] - kernel[1]) / stride[1] + 1;
        INDArray output = buffers.get("output", x.size(0), outputChannels, outH, outW);
        convolution.run(new INDArray[] {x, scaledWeights, shift}, output);
        return output;
    }

    @Override
    public INDArray backward(INDArray outputGradient) {
        INDArray inputGradient = buffers.get("input-gradient", input.shape());
        convolutionBackward.run(new INDArray[] {input, scaledWeights, shift, outputGradient}, inputGradient,
                scaledWeightGradient, betaGradient);
        if (gammaGradient != null) {
            // gamma: (sum(W * G) - mean * sum(dOut)) / std per channel
            weights.mul(scaledWeightGradient, product);
            product.sum(channelSums, otherWeightAxes);
            mean.mul(betaGradient, gammaGradient);
            sums.sub(gammaGradient, gammaGradient);
            gammaGradient.muli(inverseStd);
        }
        Nd4j.getExecutioner().exec(new BroadcastMulOp(scaledWeightGradient, channelScale, weightGradient,
                channelAxes));
        return first ? null : inputGradient;
    }
}
