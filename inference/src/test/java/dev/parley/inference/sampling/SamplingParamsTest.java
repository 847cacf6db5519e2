package dev.parley.inference.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplingParamsTest {

    @Test
    void defaultsMatchLlamaCpp() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals(0.8f, p.temperature());
        assertEquals(40, p.topK());
        assertEquals(0.95f, p.topP());
        assertEquals(0.05f, p.minP());
        assertEquals(1.0f, p.repetitionPenalty());
        assertEquals(0.0f, p.frequencyPenalty());
        assertEquals(0.0f, p.presencePenalty());
        assertEquals(64, p.penaltyLastN());
        assertEquals(SamplingParams.RANDOM_SEED, p.seed());
        assertTrue(p.logitBias().isEmpty());
        assertTrue(p.stop().isEmpty());
        assertFalse(p.isGreedy());
        assertTrue(SamplingParams.greedy().isGreedy());
        assertEquals(0.0f, SamplingParams.greedy().temperature());
    }

    @Test
    void builderSetsEveryFieldAndToBuilderRoundTrips() {
        SamplingParams p = SamplingParams.builder().temperature(0.5f).topK(7).topP(0.9f).minP(0.1f)
                .repetitionPenalty(1.1f).frequencyPenalty(0.2f).presencePenalty(0.3f).penaltyLastN(-1)
                .logitBias(Map.of(3, -1.0f)).seed(42).maxTokens(16).stop(List.of("\n")).ignoreEos(true).logprobs(5)
                .build();
        assertEquals(new SamplingParams(0.5f, 7, 0.9f, 0.1f, 1.1f, 0.2f, 0.3f, -1, Map.of(3, -1.0f), 42, 16,
                List.of("\n"), true, 5), p);
        assertEquals(p, p.toBuilder().build());
        assertEquals(3, p.toBuilder().topK(3).build().topK());
    }

    @Test
    void copiesCollectionsSoCallersCannotChangeThem() {
        Map<Integer, Float> bias = new HashMap<>(Map.of(1, 2.0f));
        List<String> stops = new ArrayList<>(List.of("x"));
        SamplingParams p = SamplingParams.builder().logitBias(bias).stop(stops).build();
        bias.put(2, 1.0f);
        stops.add("y");
        assertEquals(Map.of(1, 2.0f), p.logitBias());
        assertEquals(List.of("x"), p.stop());
        assertThrows(UnsupportedOperationException.class, () -> p.stop().add("z"));
    }

    @Test
    void validationMessagesNameTheField() {
        assertRejected("temperature", b -> b.temperature(-0.1f));
        assertRejected("temperature", b -> b.temperature(Float.NaN));
        assertRejected("top_k", b -> b.topK(-1));
        assertRejected("top_p", b -> b.topP(0));
        assertRejected("top_p", b -> b.topP(1.01f));
        assertRejected("min_p", b -> b.minP(-0.01f));
        assertRejected("min_p", b -> b.minP(1.5f));
        assertRejected("repetition_penalty", b -> b.repetitionPenalty(0));
        assertRejected("frequency_penalty", b -> b.frequencyPenalty(Float.POSITIVE_INFINITY));
        assertRejected("presence_penalty", b -> b.presencePenalty(Float.NaN));
        assertRejected("penalty_last_n", b -> b.penaltyLastN(-2));
        assertRejected("max_tokens", b -> b.maxTokens(-2));
        assertRejected("logprobs", b -> b.logprobs(-1));
        assertRejected("logit_bias", b -> b.logitBias(Map.of(-1, 1.0f)));
        assertRejected("logit_bias", b -> b.logitBias(Map.of(1, Float.NaN)));
        assertRejected("logit_bias", b -> b.logitBias(Map.of(1, Float.POSITIVE_INFINITY)));
        assertRejected("stop", b -> b.stop(List.of("")));
    }

    @Test
    void acceptsBoundaryValues() {
        SamplingParams p = SamplingParams.builder().temperature(0).topK(0).topP(1).minP(1).penaltyLastN(0)
                .maxTokens(0).logitBias(Map.of(0, Float.NEGATIVE_INFINITY)).build();
        assertEquals(Float.NEGATIVE_INFINITY, p.logitBias().get(0));
    }

    private static void assertRejected(String field, java.util.function.UnaryOperator<SamplingParams.Builder> edit) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> edit.apply(SamplingParams.builder()).build());
        assertTrue(e.getMessage().startsWith(field), () -> "message should name " + field + ": " + e.getMessage());
    }
}
