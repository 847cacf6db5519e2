package dev.parley.inference.engine;

import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.sampling.SamplingParams;

/**
 * What to generate: the prompt's token ids (BOS included when the model wants it), the sampling settings, and
 * optionally a constraint the output must match (from the engine's {@link InferenceEngine#grammars()}; null = free
 * text). A constrained request samples only tokens that keep its output a valid prefix, may end only where the
 * grammar may end, and ends with {@link FinishReason#STOP} as soon as the output is complete and nothing more may
 * follow. Stop strings and max tokens still apply: a {@link FinishReason#LENGTH} output is a valid prefix only.
 * {@code adapter} names a LoRA adapter attached to the model ({@link dev.parley.inference.model.Model#loadAdapter}) to
 * generate with; null = the base model.
 */
public record GenerationRequest(int[] promptTokens, SamplingParams params, TokenConstraint constraint, String adapter) {
    public GenerationRequest {
        if (promptTokens == null || promptTokens.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (params == null) throw new IllegalArgumentException("sampling params are required");
        if (constraint != null && params.ignoreEos()) {
            throw new IllegalArgumentException("ignore_eos cannot be combined with a grammar or response format: "
                    + "the grammar decides where the output ends");
        }
        promptTokens = promptTokens.clone();
    }

    /** A request to the base model. */
    public GenerationRequest(int[] promptTokens, SamplingParams params, TokenConstraint constraint) {
        this(promptTokens, params, constraint, null);
    }

    /** An unconstrained request to the base model. */
    public GenerationRequest(int[] promptTokens, SamplingParams params) {
        this(promptTokens, params, null, null);
    }
}
