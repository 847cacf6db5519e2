package dev.parley.server.chat;

import dev.parley.inference.sampling.SamplingParams;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A client's sampling settings on their way to {@link SamplingParams}, the same for the WebSocket and the OpenAI API:
 * each setter takes the request's field as it arrived (null = not sent, the API's default stays), and {@link #build}
 * turns an invalid combination into a {@code bad_request} naming the field. What differs between the APIs is only
 * their defaults and their own extra checks.
 */
public final class SamplingRequest {
    private final SamplingParams.Builder builder = SamplingParams.builder();
    private final String fieldPrefix;

    private SamplingRequest(String fieldPrefix) {
        this.fieldPrefix = fieldPrefix;
    }

    /** llama.cpp's defaults ({@code SamplingParams.defaults()}); errors name fields as {@code fieldPrefix + name}. */
    public static SamplingRequest llamaCppDefaults(String fieldPrefix) {
        return new SamplingRequest(fieldPrefix);
    }

    /** OpenAI's defaults, not llama.cpp's: temperature 1, top_p 1, no top-k or min-p. */
    public static SamplingRequest openAiDefaults() {
        SamplingRequest r = new SamplingRequest("");
        r.builder.temperature(1f).topP(1f).topK(0).minP(0f);
        return r;
    }

    public SamplingRequest maxTokens(Integer value) { return set(value, builder::maxTokens); }
    public SamplingRequest temperature(Double value) { return set(value, v -> builder.temperature(v.floatValue())); }
    public SamplingRequest topP(Double value) { return set(value, v -> builder.topP(v.floatValue())); }
    public SamplingRequest topK(Integer value) { return set(value, builder::topK); }
    public SamplingRequest minP(Double value) { return set(value, v -> builder.minP(v.floatValue())); }
    public SamplingRequest seed(Long value) { return set(value, builder::seed); }
    public SamplingRequest stop(List<String> value) { return set(value, builder::stop); }
    public SamplingRequest presencePenalty(Double value) { return set(value, v -> builder.presencePenalty(v.floatValue())); }
    public SamplingRequest frequencyPenalty(Double value) { return set(value, v -> builder.frequencyPenalty(v.floatValue())); }
    public SamplingRequest ignoreEos(Boolean value) { return set(value, builder::ignoreEos); }

    /** Token ids already checked against the vocabulary by the API (its key format differs). */
    public SamplingRequest logitBias(Map<Integer, Float> value) { return set(value, builder::logitBias); }

    /** Alternatives reported per token (the chosen token's own logprob comes with any value >= 1). */
    public SamplingRequest logprobs(Integer value) { return set(value, builder::logprobs); }

    private <T> SamplingRequest set(T value, Consumer<T> setter) {
        if (value != null) setter.accept(value);
        return this;
    }

    public SamplingParams build() {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new ChatException(ErrorCode.BAD_REQUEST, fieldPrefix + e.getMessage());
        }
    }
}
