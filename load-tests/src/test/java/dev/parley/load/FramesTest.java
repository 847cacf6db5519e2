package dev.parley.load;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Frame reading against the shapes in server/PROTOCOL.md and what Gatling hands over for SSE events. */
class FramesTest {
    @Test void readsAWebSocketTurn() {
        var frames = List.of(
                new Frames.Received(30, "{\"type\":\"delta\",\"id\":\"r1\",\"text\":\" upon\"}"),
                new Frames.Received(5, "{\"type\":\"started\",\"id\":\"r1\",\"session\":\"s-1\",\"prompt_tokens\":4}"),
                new Frames.Received(20, "{\"type\":\"delta\",\"id\":\"r1\",\"text\":\"Once\"}"),
                new Frames.Received(21, "{\"type\":\"error\",\"id\":\"c0\",\"code\":\"not_found\"}"), // an older request's
                new Frames.Received(31, "{\"type\":\"done\",\"id\":\"r1\",\"finish_reason\":\"length\",\"usage\":{\"completion_tokens\":2}}"));
        Frames.WsOutcome out = Frames.readWs("r1", frames);
        assertEquals("s-1", out.session());
        assertArrayEquals(new long[] {20, 30}, out.deltaMs());
        assertEquals(31, out.endMs());
        assertEquals("done", out.endType());
        assertEquals(2, out.completionTokens());
        assertTrue(Frames.endsWs("r1", frames.get(4).text()));
        assertFalse(Frames.endsWs("r1", frames.get(3).text()));
    }

    @Test void readsAnOpenAiStreamAsGatlingDeliversIt() {
        var events = List.of(
                new Frames.Received(10, "{\"data\":{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}}"),
                new Frames.Received(12, "{\"data\":{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}}"),
                new Frames.Received(15, "{\"data\":{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}]}}"),
                new Frames.Received(16, "{\"data\":{\"choices\":[],\"usage\":{\"completion_tokens\":2}}}"),
                new Frames.Received(17, "{\"data\":[DONE]}"));
        Frames.SseOutcome out = Frames.readSse(events);
        assertArrayEquals(new long[] {12, 15}, out.deltaMs());
        assertEquals(17, out.endMs());
        assertEquals(2, out.completionTokens());
        assertNull(out.error());
        assertTrue(Frames.endsSse(events.get(4).text()));
    }

    @Test void stampedMessagesKeepTheirText() {
        var r = Frames.Received.fromStamped("123|{\"a\":\"x|y\"}");
        assertEquals(123, r.atMs());
        assertEquals("{\"a\":\"x|y\"}", r.text());
    }

    @Test void promptsHaveTheRequestedLength() {
        assertEquals(100, Prompts.prompt(3, 100).split(" ").length);
        assertEquals(5, Prompts.prompt(3, 5).split(" ").length);
        assertNotEquals(Prompts.prompt(0, 0), Prompts.prompt(1, 0));
    }
}
