package dev.parley.inference.engine;

/**
 * How a request ended.
 *
 * @param generatedTokens   every sampled token, in order (an end-of-generation token that stopped it is not included)
 * @param timeToFirstTokenNanos from submit to the first sampled token (-1 if none)
 */
public record Completion(FinishReason finishReason, int promptTokens, int[] generatedTokens, String text,
                         long timeToFirstTokenNanos, long totalNanos) {}
