package dev.parley.load;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Breaking an SLO or the error budget must fail the run; run.sh turns these violations into a non-zero exit. */
class SloGateTest {
    private static final Summary.GoodputSlo GOODPUT = new Summary.GoodputSlo(1000, 100);
    private static final RequestSample OK = new RequestSample("ws", 1, RequestSample.Outcome.OK, 0,
            new long[] {100, 110, 130, 160}, 160, 4, null);

    @Test void passesWithinBounds() {
        Summary s = Summary.of("t", List.of(OK), GOODPUT);
        assertEquals(List.of(), new SloGate(100.0, 30.0).violations(s));
        assertEquals(List.of(), new SloGate(null, null).violations(s));
    }

    @Test void aDeliberatelyTightSloFails() {
        Summary s = Summary.of("t", List.of(OK), GOODPUT);
        List<String> broken = new SloGate(1.0, 1.0).violations(s);
        assertEquals(2, broken.size(), broken.toString());
        assertTrue(broken.get(0).startsWith("TTFT p99 100.0 ms > SLO 1.0 ms"), broken.get(0));
    }

    @Test void anyErrorBreaksTheBudgetButCancelsDoNot() {
        var cancelled = new RequestSample("ws", 1, RequestSample.Outcome.CANCELLED, 0, new long[0], 50, 0, null);
        assertEquals(List.of(), new SloGate(null, null).violations(Summary.of("t", List.of(OK, cancelled), GOODPUT)));
        var failed = RequestSample.error("sse", 1, 0, "overloaded");
        List<String> broken = new SloGate(null, null).violations(Summary.of("t", List.of(OK, failed), GOODPUT));
        assertEquals(List.of("error budget: 1 request(s) failed (budget 0)"), broken);
    }

    @Test void aRunWithNothingMeasuredFails() {
        assertFalse(new SloGate(null, null).violations(Summary.of("t", List.of(), GOODPUT)).isEmpty());
    }
}
