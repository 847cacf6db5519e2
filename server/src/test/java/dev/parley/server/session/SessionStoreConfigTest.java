package dev.parley.server.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.sampling.SamplingParams;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ChatMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The --session-store value and what a shared store keeps of a session (no Redis needed). */
class SessionStoreConfigTest {
    @Test void acceptsMemoryAndRedisUris() {
        ServerConfig.validateStore("memory");
        ServerConfig.validateStore("redis://parley-redis:6379/0");
        ServerConfig.validateStore("redis://:secret@127.0.0.1:6380");
    }

    @Test void rejectsAnythingElseNamingTheExpectedForms() {
        for (String bad : new String[] {"redis", "postgres://db/1", "redis://host:6379/zero", "", "Memory"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.validateStore(bad), bad);
            assertTrue(e.getMessage().contains("memory or redis://HOST:PORT/DB"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.forTests().toBuilder().sessionStore("redis:/nohost").build());
    }

    @Test void stateRoundTripsWithEverySamplingSetting() {
        SamplingParams p = SamplingParams.builder().temperature(0.7f).topK(17).topP(0.9f).minP(0.1f).repetitionPenalty(1.1f)
                .frequencyPenalty(0.2f).presencePenalty(-0.3f).penaltyLastN(32).logitBias(Map.of(5, -2.5f, 9, Float.NEGATIVE_INFINITY))
                .seed(42).maxTokens(100).stop(List.of("\n\n", "END")).ignoreEos(true).logprobs(3).build();
        var state = new Session.State(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi \"there\" ✓"),
                new ChatMessage("assistant", "Hello\nworld")), p);
        assertEquals(state, SessionCodec.decode(SessionCodec.encode(state)));
        var empty = new Session.State(List.of(), null);
        assertEquals(empty, SessionCodec.decode(SessionCodec.encode(empty)));
    }
}
