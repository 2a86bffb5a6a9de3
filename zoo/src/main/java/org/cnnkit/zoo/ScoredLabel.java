package org.cnnkit.zoo;

/**
 * One class of a prediction with its probability.
 *
 * @param label the class name
 * @param index the class index (position in the model's class names)
 * @param probability the softmax probability in [0, 1]
 */
public record ScoredLabel(String label, int index, double probability) {
}
