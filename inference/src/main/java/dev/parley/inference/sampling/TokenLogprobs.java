package dev.parley.inference.sampling;

/**
 * Log-probabilities for one sampled token: the chosen token's and the most likely alternatives', most likely first
 * (ties by lower id). See {@link Sampler#lastLogprobs()} for which distribution they describe.
 */
public record TokenLogprobs(int token, float logprob, int[] topIds, float[] topLogprobs) {
    public TokenLogprobs {
        if (topIds.length != topLogprobs.length) {
            throw new IllegalArgumentException("topIds and topLogprobs differ in length: "
                    + topIds.length + " vs " + topLogprobs.length);
        }
    }
}
