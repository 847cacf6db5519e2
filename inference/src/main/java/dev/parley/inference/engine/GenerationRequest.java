package dev.parley.inference.engine;

import dev.parley.inference.sampling.SamplingParams;

/** What to generate: the prompt's token ids (BOS included when the model wants it) and the sampling settings. */
public record GenerationRequest(int[] promptTokens, SamplingParams params) {
    public GenerationRequest {
        if (promptTokens == null || promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (params == null) throw new IllegalArgumentException("sampling params are required");
        promptTokens = promptTokens.clone();
    }
}
