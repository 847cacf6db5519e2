package dev.parley.load;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {
    private static final Summary.GoodputSlo LOOSE = new Summary.GoodputSlo(1000, 100);

    /** Sent at 0; deltas at 100, 110, 130, 160; ended at 160 with 4 tokens. */
    private static RequestSample fourTokens(long offset) {
        return new RequestSample("ws", 1, RequestSample.Outcome.OK, offset,
                new long[] {offset + 100, offset + 110, offset + 130, offset + 160}, offset + 160, 4, null);
    }

    @Test void perRequestMetricsFollowVllm() {
        RequestSample s = fourTokens(0);
        assertEquals(100, s.ttftMs());
        assertEquals(160, s.e2eMs());
        assertEquals((160 - 100) / 3.0, s.tpotMs(), 1e-9);
        assertArrayEquals(new double[] {10, 20, 30}, s.itlMs());
    }

    @Test void tpotIsUndefinedForOneToken() {
        var one = new RequestSample("ws", 1, RequestSample.Outcome.OK, 0, new long[] {50}, 50, 1, null);
        assertTrue(Double.isNaN(one.tpotMs()));
    }

    @Test void percentilesInterpolateLikeNumpy() {
        double[] v = {1, 2, 3, 4};
        assertEquals(2.5, Summary.percentile(v, 50), 1e-9);
        assertEquals(3.7, Summary.percentile(v, 90), 1e-9);
        assertEquals(3.97, Summary.percentile(v, 99), 1e-9);
        assertTrue(Double.isNaN(Summary.percentile(new double[0], 50)));
    }

    @Test void throughputsUseTheWholeRunAndLeaveCancelsOutOfLatencies() {
        var cancelled = new RequestSample("ws", 1, RequestSample.Outcome.CANCELLED, 0, new long[] {900}, 1000, 1, null);
        Summary s = Summary.of("t", List.of(fourTokens(0), fourTokens(840), cancelled), LOOSE);
        assertEquals(3, s.requests());
        assertEquals(0, s.errors());
        assertEquals(1, s.cancelled());
        assertEquals(1.0, s.durationS(), 1e-9); // first send 0 ms, last end 1000 ms
        assertEquals(8.0, s.outputTokensPerS(), 1e-9); // the cancelled request's token is not counted
        assertEquals(2.0, s.requestThroughputPerS(), 1e-9);
        assertEquals(100, s.ttftMs().p99(), 1e-9);
    }

    @Test void goodputCountsOnlyRequestsWithinBothBounds() {
        Summary s = Summary.of("t", List.of(fourTokens(0)), new Summary.GoodputSlo(99, 100));
        assertEquals(0, s.goodputPerS());
        s = Summary.of("t", List.of(fourTokens(0)), new Summary.GoodputSlo(100, 19));
        assertEquals(0, s.goodputPerS());
        s = Summary.of("t", List.of(fourTokens(0)), new Summary.GoodputSlo(100, 20));
        assertTrue(s.goodputPerS() > 0);
    }

    @Test void jsonHasExactlyTheIssueSchema() {
        var json = Summary.of("smoke", List.of(fourTokens(0)), LOOSE).toJson();
        assertEquals(List.of("profile", "requests", "errors", "ttft_ms", "tpot_ms", "itl_ms", "e2e_ms",
                "output_tokens_per_s", "request_throughput_per_s", "goodput_per_s"), List.copyOf(json.keySet()));
        assertEquals(List.of("p50", "p90", "p99"), List.copyOf(((java.util.Map<?, ?>) json.get("ttft_ms")).keySet()));
    }
}
