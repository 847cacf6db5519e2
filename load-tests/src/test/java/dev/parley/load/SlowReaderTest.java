package dev.parley.load;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The slow readers' accounting: how a request's end is classified, and that it stays out of the normal users' figures. */
class SlowReaderTest {
    private static final Summary.GoodputSlo GOODPUT = new Summary.GoodputSlo(1000, 100);
    private static final LoadConfig.SlowReaderConfig TWO = new LoadConfig.SlowReaderConfig(2, 1024, 2, 64, 20, 4096);
    private static final RequestSample NORMAL = new RequestSample("ws", 1, RequestSample.Outcome.OK, 0,
            new long[] {100, 110, 130, 160}, 160, 4, null);

    private static SlowReaderSample follow(String id, String... frames) {
        var tracker = new SlowReaderSample.Tracker(id);
        for (String f : frames) tracker.onFrame(Frames.parse(f));
        return tracker.result("no end before the deadline");
    }

    private static final String ONE_TOKEN = "{\"type\":\"delta\",\"id\":\"s\",\"text\":\" a\",\"tokens\":[{\"text\":\" a\",\"logprob\":-1,\"top\":[]}]}";
    private static final String THREE_TOKENS = "{\"type\":\"delta\",\"id\":\"s\",\"text\":\" a b c\",\"tokens\":["
            + "{\"text\":\" a\",\"logprob\":-1,\"top\":[]},{\"text\":\" b\",\"logprob\":-1,\"top\":[]},{\"text\":\" c\",\"logprob\":-1,\"top\":[]}]}";

    @Test void aFinishedReplyIsCompletedAndCoalescedDeltasAreCounted() {
        SlowReaderSample s = follow("s", "{\"type\":\"started\",\"id\":\"s\",\"session\":\"s-1\"}", ONE_TOKEN, THREE_TOKENS, ONE_TOKEN,
                "{\"type\":\"done\",\"id\":\"s\",\"finish_reason\":\"length\",\"usage\":{\"completion_tokens\":5}}");
        assertEquals(SlowReaderSample.Outcome.COMPLETED, s.outcome());
        assertEquals("length", s.finishReason());
        assertEquals(5, s.completionTokens());
        assertEquals(3, s.deltas());
        assertEquals(1, s.multiTokenDeltas());
        assertNull(s.error());
    }

    @Test void cancelledIsTheServersSlowReaderLimitNotAnError() {
        SlowReaderSample s = follow("s", THREE_TOKENS, "{\"type\":\"done\",\"id\":\"s\",\"finish_reason\":\"cancelled\",\"usage\":{\"completion_tokens\":3}}");
        assertEquals(SlowReaderSample.Outcome.CUT_BY_LIMIT, s.outcome());
    }

    @Test void anErrorFrameOrNoEndIsAnError() {
        SlowReaderSample refused = follow("s", "{\"type\":\"error\",\"id\":\"s\",\"code\":\"overloaded\",\"message\":\"busy\"}");
        assertEquals(SlowReaderSample.Outcome.ERROR, refused.outcome());
        assertEquals("overloaded: busy", refused.error());
        SlowReaderSample unfinished = follow("s", ONE_TOKEN);
        assertEquals(SlowReaderSample.Outcome.ERROR, unfinished.outcome());
        assertEquals("no end before the deadline", unfinished.error());
        assertEquals(1, unfinished.deltas());
        // frames after the end change nothing
        assertEquals(SlowReaderSample.Outcome.CUT_BY_LIMIT, follow("s",
                "{\"type\":\"done\",\"id\":\"s\",\"finish_reason\":\"cancelled\"}", "{\"type\":\"error\",\"id\":\"s\",\"code\":\"internal\"}").outcome());
    }

    private static SlowReaderSummary summary(SlowReaderSample... samples) {
        return SlowReaderSummary.of(TWO, new SlowReaders.Result(List.of(samples), 5000, 70000));
    }

    @Test void theSummaryCountsEachOutcomeAndTheBytes() {
        SlowReaderSummary s = summary(new SlowReaderSample("a", SlowReaderSample.Outcome.COMPLETED, "length", 64, 40, 7, null),
                new SlowReaderSample("b", SlowReaderSample.Outcome.CUT_BY_LIMIT, "cancelled", 30, 10, 3, null),
                SlowReaderSample.error("c", "the server closed the connection"));
        assertEquals(3, s.requests());
        assertEquals(1, s.completed());
        assertEquals(1, s.cutByLimit());
        assertEquals(1, s.errors());
        assertEquals(94, s.completionTokens());
        assertEquals(50, s.deltas());
        assertEquals(10, s.multiTokenDeltas());
        assertEquals(5000, s.bytesReadSlowly());
        assertEquals(70000, s.bytesReadAfter());
        assertEquals(List.of("c: the server closed the connection"), s.errorMessages());
    }

    @Test void slowReadersBreakTheErrorBudgetOnlyWhenTheyFail() {
        Summary normal = Summary.of("t", List.of(NORMAL), GOODPUT);
        SlowReaderSummary limited = summary(new SlowReaderSample("a", SlowReaderSample.Outcome.CUT_BY_LIMIT, "cancelled", 30, 10, 3, null));
        assertEquals(List.of(), new SloGate(1000.0, 100.0).violations(normal, limited));

        SlowReaderSummary failed = summary(SlowReaderSample.error("b", "the server closed the WebSocket with code 1011"));
        List<String> broken = new SloGate(1000.0, 100.0).violations(normal, failed);
        assertEquals(List.of("error budget: 1 slow-reader request(s) failed (budget 0): b: the server closed the WebSocket with code 1011"), broken);
    }

    @Test void theReportKeepsSlowReadersOutOfTheNormalUsersFigures() {
        LoadConfig c = LoadConfig.fromSystemProperties();
        LoadConfig withSlow = new LoadConfig(c.profile(), c.baseUrl(), c.api(), c.levels(), c.step(), c.arrivalsPerS(), c.openDuration(),
                c.promptWords(), c.maxTokens(), c.ignoreEos(), c.turns(), c.cancelShare(), c.requestTimeout(), null, null, GOODPUT,
                c.outputDir(), TWO);
        LoadConfig without = new LoadConfig(c.profile(), c.baseUrl(), c.api(), c.levels(), c.step(), c.arrivalsPerS(), c.openDuration(),
                c.promptWords(), c.maxTokens(), c.ignoreEos(), c.turns(), c.cancelShare(), c.requestTimeout(), null, null, GOODPUT,
                c.outputDir(), new LoadConfig.SlowReaderConfig(0, 0, 0, 0, 0, 4096));
        Summary normal = Summary.of("t", List.of(NORMAL), GOODPUT);
        SlowReaderSummary slow = summary(new SlowReaderSample("a", SlowReaderSample.Outcome.CUT_BY_LIMIT, "cancelled", 300, 12, 9, null));

        Map<String, Object> json = RunReport.json(withSlow, normal, slow);
        assertEquals(1, json.get("requests"), "only the normal user's request");
        assertEquals(0, json.get("errors"));
        assertEquals(normal.toJson().get("itl_ms"), json.get("itl_ms"));
        @SuppressWarnings("unchecked") var section = (Map<String, Object>) json.get("slow_readers");
        assertEquals(1, section.get("cut_by_slow_reader_limit"));
        assertEquals(9L, section.get("coalesced_deltas"));
        assertEquals(5000L, section.get("bytes_read_slowly"));
        assertFalse(RunReport.json(without, normal, SlowReaderSummary.NONE).containsKey("slow_readers"), "issue 6's schema unchanged without them");

        String md = RunReport.markdown(withSlow, normal, List.of(), List.of(NORMAL), slow, List.of());
        assertTrue(md.contains("## Slow readers (not in the latencies above)"), md);
        assertTrue(md.contains("| 1 | 0 | 1 | 0 | 300 | 12 | 9 | 5000 | 70000 |"), md);
        assertFalse(RunReport.markdown(without, normal, List.of(), List.of(NORMAL), SlowReaderSummary.NONE, List.of()).contains("Slow readers"));
    }

    @Test void theThrottlePacesReadsUntilLifted() throws IOException {
        var t = new ThrottledInputStream(new ByteArrayInputStream(new byte[3000]), 10_000);
        byte[] buf = new byte[4096];
        long start = System.nanoTime();
        int read = 0;
        while (read < 2000) read += t.read(buf, 0, buf.length);
        // 10 kB/s in ticks of at most 1000 bytes: 2000 bytes cannot arrive in less than ~100 ms
        assertTrue(System.nanoTime() - start >= 90_000_000L, "read 2000 bytes in " + (System.nanoTime() - start) / 1e6 + " ms");
        assertTrue(read <= 2000 + 1000, "one read never exceeds a tick's worth: " + read);
        t.unthrottle();
        int rest = 0;
        for (int n; (n = t.read(buf, 0, buf.length)) > 0; ) rest += n;
        assertEquals(3000, read + rest);
        assertEquals(read, t.bytesThrottled());
        assertEquals(rest, t.bytesUnthrottled());
    }

    @Test void pastTheDeadlineEveryReadFailsEvenWhileBytesStillArrive() throws IOException {
        var t = new ThrottledInputStream(new ByteArrayInputStream(new byte[3000]), 10_000);
        t.unthrottle();
        byte[] buf = new byte[10];
        assertEquals(10, t.read(buf, 0, buf.length));
        t.giveUpAt(System.currentTimeMillis() - 1);
        var e = assertThrows(java.net.SocketTimeoutException.class, () -> t.read(buf, 0, buf.length));
        assertEquals("the reply had not ended by the reader's deadline", e.getMessage());
    }

    @Test void configRefusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new LoadConfig.SlowReaderConfig(1, 0, 1, 64, 0, 4096));
        assertThrows(IllegalArgumentException.class, () -> new LoadConfig.SlowReaderConfig(1, 100, 1, 64, 21, 4096));
        assertThrows(IllegalArgumentException.class, () -> new LoadConfig.SlowReaderConfig(-1, 100, 1, 64, 0, 4096));
    }
}
