package org.cnnkit.core.training;

import org.nd4j.linalg.api.ndarray.INDArray;
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

    private final NativeOps convolution;
    private final NativeOps convolutionBackward;
    private final NativeOps multiply;
    private final NativeOps subtract;
    private final NativeOps sumPerChannel;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final long outputChannels;
    private final INDArray weights;
    private final INDArray weightMatrix;
    private final INDArray weightGradientMatrix;
    private final INDArray mean;
    private final INDArray inverseStd;
    private final INDArray gamma;
    private final INDArray beta;
    private final INDArray gammaGradient;
    private final INDArray betaGradient;
    private final INDArray scale;
    private final INDArray matrixScale;
    private final INDArray shift;
    private final INDArray scaledWeights;
    private final INDArray scaledWeightMatrix;
    private final INDArray scaledWeightGradient;
    private final INDArray scaledWeightGradientMatrix;
    private final INDArray product;
    private final INDArray sums;
    private final boolean first;
    private final StageBuffers buffers = new StageBuffers();
    private INDArray input;

    /**
     * The convolution of the pair.
     *
     * @param where the layer, for messages
     * @param depthwise whether it is a depthwise convolution (weights {@code [kH, kW, in, multiplier]}), else a 2D
     *     convolution (weights {@code [out, in, kH, kW]})
     * @param weights the convolution's weight view (contiguous)
     * @param weightGradient the convolution's weight gradient view (contiguous)
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
        boolean depthwise = convolution.depthwise();
        this.weights = convolution.weights();
        this.kernel = convolution.kernel().clone();
        this.stride = convolution.stride().clone();
        this.padding = convolution.padding().clone();
        this.first = first;
        long[] shape = weights.shape();
        this.outputChannels = depthwise ? shape[2] * shape[3] : shape[0];
        // The weights as a matrix whose rows (2D) or columns (depthwise) are the output channels: the per-channel
        // operations are then a product with a column or row vector and a sum along one axis, which libnd4j runs far
        // faster than broadcasts over 4D arrays with unit dimensions (6 against 48 us for 336 x 56 weights).
        long[] matrix = depthwise ? new long[] {shape[0] * shape[1], outputChannels}
                : new long[] {outputChannels, weights.length() / outputChannels};
        this.weightMatrix = weights.reshape('c', matrix);
        this.weightGradientMatrix = convolution.weightGradient().reshape('c', matrix);
        // kH, kW, sH, sW, pH, pW, dH, dW, same mode, NCHW (and for conv2d: weights [out, in, kH, kW])
        long[] arguments = depthwise
                ? new long[] {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0}
                : new long[] {kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1], 1, 1, 0, 0, 1};
        String op = depthwise ? "depthwise_conv2d" : "conv2d";
        String where = convolution.where();
        this.convolution = NativeOps.bind(where, op, arguments);
        this.convolutionBackward = NativeOps.bind(where, op + "_bp", arguments);
        this.multiply = NativeOps.bind(where, "multiply");
        this.subtract = NativeOps.bind(where, "subtract");
        this.sumPerChannel = NativeOps.bind(where, "reduce_sum", depthwise ? 0 : 1);
        this.mean = norm.mean();
        this.inverseStd = norm.inverseStd();
        this.gamma = norm.gamma();
        this.beta = norm.beta();
        this.gammaGradient = norm.gammaGradient();
        this.betaGradient = norm.betaGradient() != null ? norm.betaGradient()
                : Nd4j.createUninitialized(mean.dataType(), outputChannels);
        this.scale = Nd4j.createUninitialized(mean.dataType(), outputChannels);
        this.matrixScale = depthwise ? scale.reshape(1, outputChannels) : scale.reshape(outputChannels, 1);
        this.shift = Nd4j.createUninitialized(mean.dataType(), outputChannels);
        this.scaledWeightMatrix = Nd4j.createUninitialized(weights.dataType(), matrix);
        this.scaledWeights = scaledWeightMatrix.reshape('c', shape);
        this.scaledWeightGradientMatrix = Nd4j.createUninitialized(weights.dataType(), matrix);
        this.scaledWeightGradient = scaledWeightGradientMatrix.reshape('c', shape);
        this.product = Nd4j.createUninitialized(weights.dataType(), matrix);
        this.sums = Nd4j.createUninitialized(mean.dataType(), outputChannels);
    }

    @Override
    public INDArray forward(INDArray x) {
        input = x;
        multiply.run(new INDArray[] {gamma, inverseStd}, scale);
        multiply.run(new INDArray[] {mean, scale}, shift);
        subtract.run(new INDArray[] {beta, shift}, shift);
        multiply.run(new INDArray[] {weightMatrix, matrixScale}, scaledWeightMatrix);
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
            multiply.run(new INDArray[] {weightMatrix, scaledWeightGradientMatrix}, product);
            sumPerChannel.run(new INDArray[] {product}, sums);
            multiply.run(new INDArray[] {mean, betaGradient}, gammaGradient);
            subtract.run(new INDArray[] {sums, gammaGradient}, gammaGradient);
            multiply.run(new INDArray[] {gammaGradient, inverseStd}, gammaGradient);
        }
        multiply.run(new INDArray[] {scaledWeightGradientMatrix, matrixScale}, weightGradientMatrix);
        return first ? null : inputGradient;
    }
}
