package org.cnnkit.core.training;

/**
 * Marks a DL4J batch normalization configuration whose layer normalizes with its running mean and variance in
 * training too, never updates them, and learns only gamma and beta: {@code y = gamma (x - mean) / sqrt(var + eps) +
 * beta} (with {@code var = (10^log10stdev)^2} for a layer storing {@code log10stdev}), gradients {@code dgamma =
 * sum(dy * xhat)}, {@code dbeta = sum(dy)}, {@code dx = dy * gamma / sqrt(var + eps)}, and zero gradients for the
 * running statistics. {@link CompiledTrainingStep} compiles batch normalizations only when their configuration
 * implements this interface (a plain DL4J batch normalization trains on batch statistics, which is not compiled).
 */
public interface InferenceModeNormalization {
}
