package dev.parley.inference.sampling;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Immutable per-request sampling settings. The constructor validates every field and throws
 * {@link IllegalArgumentException} with a message that names the field the way the HTTP API spells it
 * ({@code top_p must be in (0, 1] (got 1.5)}), so the server can hand the message straight back to the client.
 *
 * <p>Conventions follow llama.cpp: {@code topK = 0} disables top-k, {@code topP = 1} disables top-p, {@code minP = 0}
 * disables min-p, {@code repetitionPenalty = 1} / {@code frequencyPenalty = 0} / {@code presencePenalty = 0} disable
 * the penalties, {@code penaltyLastN = 0} disables all three and {@code -1} penalizes the whole accepted history,
 * {@code temperature <= 0} means greedy, {@code seed = RANDOM_SEED} asks the {@link Sampler} to pick a seed, and
 * {@code maxTokens = -1} leaves the length to the context limit. {@code ignoreEos} is carried for the engine, which
 * knows the end-of-sequence token; the sampler itself does not look at it.
 *
 * @param logitBias added to a token's logit before anything else; {@code -Infinity} bans the token
 * @param stop      strings that end generation (see {@link StopMatcher})
 * @param logprobs  how many top alternatives {@link Sampler#lastLogprobs()} reports; 0 turns logprobs off
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             float frequencyPenalty, float presencePenalty, int penaltyLastN,
                             Map<Integer, Float> logitBias, long seed, int maxTokens, List<String> stop,
                             boolean ignoreEos, int logprobs) {

    /** The seed value that means "choose one at random" (llama.cpp's {@code LLAMA_DEFAULT_SEED} read as signed). */
    public static final long RANDOM_SEED = -1L;

    public SamplingParams {
        require(Float.isFinite(temperature) && temperature >= 0, "temperature must be >= 0", temperature);
        require(topK >= 0, "top_k must be >= 0 (0 = off)", topK);
        require(topP > 0 && topP <= 1, "top_p must be in (0, 1]", topP);
        require(minP >= 0 && minP <= 1, "min_p must be in [0, 1]", minP);
        require(Float.isFinite(repetitionPenalty) && repetitionPenalty > 0, "repetition_penalty must be > 0",
                repetitionPenalty);
        require(Float.isFinite(frequencyPenalty), "frequency_penalty must be a finite number", frequencyPenalty);
        require(Float.isFinite(presencePenalty), "presence_penalty must be a finite number", presencePenalty);
        require(penaltyLastN >= -1, "penalty_last_n must be >= -1 (-1 = whole history, 0 = off)", penaltyLastN);
        require(maxTokens >= -1, "max_tokens must be >= -1 (-1 = no limit)", maxTokens);
        require(logprobs >= 0, "logprobs must be >= 0", logprobs);
        logitBias = copyBias(logitBias);
        stop = copyStops(stop);
    }

    /** Always picks the most likely token: temperature 0, everything else as {@link #defaults()}. */
    public static SamplingParams greedy() {
        return builder().temperature(0).build();
    }

    /** llama.cpp's defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, penalties off over 64 tokens. */
    public static SamplingParams defaults() {
        return new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.0f, 0.0f, 0.0f, 64, Map.of(), RANDOM_SEED, -1,
                List.of(), false, 0);
    }

    /** A builder that starts from {@link #defaults()}. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public boolean isGreedy() {
        return temperature <= 0;
    }

    private static void require(boolean ok, String message, Object got) {
        if (!ok) throw new IllegalArgumentException(message + " (got " + got + ")");
    }

    private static Map<Integer, Float> copyBias(Map<Integer, Float> bias) {
        if (bias == null) return Map.of();
        Map<Integer, Float> copy = new HashMap<>();
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            Integer token = e.getKey();
            Float value = e.getValue();
            require(token != null && token >= 0, "logit_bias token ids must be >= 0", token);
            // +Infinity would make the softmax NaN; -Infinity is the documented way to ban a token.
            require(value != null && !value.isNaN() && value != Float.POSITIVE_INFINITY,
                    "logit_bias for token " + token + " must be a number or -Infinity", value);
            copy.put(token, value);
        }
        return Map.copyOf(copy);
    }

    private static List<String> copyStops(List<String> stops) {
        if (stops == null) return List.of();
        List<String> copy = new ArrayList<>(stops.size());
        for (String s : stops) {
            require(s != null && !s.isEmpty(), "stop strings must be non-empty", s == null ? "null" : "\"\"");
            copy.add(s);
        }
        return List.copyOf(copy);
    }

    /** Fluent builder; {@link #build()} validates. */
    public static final class Builder {
        private float temperature;
        private int topK;
        private float topP;
        private float minP;
        private float repetitionPenalty;
        private float frequencyPenalty;
        private float presencePenalty;
        private int penaltyLastN;
        private Map<Integer, Float> logitBias;
        private long seed;
        private int maxTokens;
        private List<String> stop;
        private boolean ignoreEos;
        private int logprobs;

        private Builder(SamplingParams from) {
            temperature = from.temperature;
            topK = from.topK;
            topP = from.topP;
            minP = from.minP;
            repetitionPenalty = from.repetitionPenalty;
            frequencyPenalty = from.frequencyPenalty;
            presencePenalty = from.presencePenalty;
            penaltyLastN = from.penaltyLastN;
            logitBias = from.logitBias;
            seed = from.seed;
            maxTokens = from.maxTokens;
            stop = from.stop;
            ignoreEos = from.ignoreEos;
            logprobs = from.logprobs;
        }

        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
        public Builder frequencyPenalty(float v) { frequencyPenalty = v; return this; }
        public Builder presencePenalty(float v) { presencePenalty = v; return this; }
        public Builder penaltyLastN(int v) { penaltyLastN = v; return this; }
        public Builder logitBias(Map<Integer, Float> v) { logitBias = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder logprobs(int v) { logprobs = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, frequencyPenalty,
                    presencePenalty, penaltyLastN, logitBias, seed, maxTokens, stop, ignoreEos, logprobs);
        }
    }
}
