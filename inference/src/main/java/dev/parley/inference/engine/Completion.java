package dev.parley.inference.engine;

/**
 * How a request ended.
 *
 * @param generatedTokens   every sampled token, in order (an end-of-generation token that stopped it is not included)
 * @param timeToFirstTokenNanos from submit to the first sampled token (-1 if none)
 * @param cachedTokens      prompt tokens whose KV blocks came from the prefix cache at the request's first admission
 *                          (so their prefill was skipped); 0 when it was never admitted
 * @param queueNanos        from submit to the first admission into the running batch (-1 if never admitted)
 */
public record Completion(FinishReason finishReason, int promptTokens, int[] generatedTokens, String text,
                         long timeToFirstTokenNanos, long totalNanos, int cachedTokens, long queueNanos) {
    /** Without admission details (no prefix-cache hit, queue time unknown). */
    public Completion(FinishReason finishReason, int promptTokens, int[] generatedTokens, String text,
                      long timeToFirstTokenNanos, long totalNanos) {
        this(finishReason, promptTokens, generatedTokens, text, timeToFirstTokenNanos, totalNanos, 0, -1);
    }
}
