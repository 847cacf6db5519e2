package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.model.ToolCall;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The parser of each family's call syntax, fed whole and in random pieces (as tokens arrive): the same result either way. */
class ToolCallExtractorTest {
    private static final Set<String> NAMES = Set.of("get_weather", "add");

    /** What the pieces rebuild: content text, and per call index its id, name and concatenated arguments. */
    record Rebuilt(String content, List<ToolCall> calls) {}

    private static Rebuilt rebuild(List<ToolCallExtractor.Piece> pieces) {
        StringBuilder content = new StringBuilder();
        List<String[]> calls = new ArrayList<>();
        for (ToolCallExtractor.Piece p : pieces) {
            switch (p) {
                case ToolCallExtractor.Content c -> content.append(c.text());
                case ToolCallExtractor.CallPiece c -> {
                    if (c.id() != null) {
                        assertEquals(calls.size(), c.index(), "a new call takes the next index");
                        assertEquals("", c.arguments(), "the first piece of a call has empty arguments");
                        calls.add(new String[] {c.id(), c.name(), ""});
                    } else {
                        assertNull(c.name(), "the name comes once");
                        calls.get(c.index())[2] += c.arguments();
                    }
                }
            }
        }
        return new Rebuilt(content.toString(), calls.stream().map(a -> new ToolCall(a[0], a[1], a[2])).toList());
    }

    /** Parses {@code text} whole and in random splits; asserts they agree with each other and with the extractor's own record. */
    private static Rebuilt parse(ToolCallFormat format, String text) {
        ToolCallExtractor whole = new ToolCallExtractor(format, NAMES);
        List<ToolCallExtractor.Piece> pieces = new ArrayList<>(whole.accept(text));
        pieces.addAll(whole.finish());
        Rebuilt expected = rebuild(pieces);
        assertEquals(expected.content(), whole.content());
        assertEquals(expected.calls(), whole.calls());
        Random random = new Random(text.hashCode());
        for (int trial = 0; trial < 30; trial++) {
            ToolCallExtractor split = new ToolCallExtractor(format, NAMES);
            List<ToolCallExtractor.Piece> got = new ArrayList<>();
            for (int i = 0; i < text.length(); ) {
                int n = 1 + random.nextInt(6);
                got.addAll(split.accept(text.substring(i, Math.min(text.length(), i + n))));
                i += n;
            }
            got.addAll(split.finish());
            Rebuilt r = rebuild(got);
            assertEquals(expected.content(), r.content(), "split " + trial);
            assertEquals(expected.calls().stream().map(c -> c.name() + c.arguments()).toList(),
                    r.calls().stream().map(c -> c.name() + c.arguments()).toList(), "split " + trial);
        }
        return expected;
    }

    private static void assertCall(ToolCall call, String name, String arguments) {
        assertEquals(name, call.name());
        assertEquals(new JsonObject(arguments), new JsonObject(call.arguments()));
        assertNotNull(call.id());
    }

    @Test void hermesCallsAfterText() {
        Rebuilt r = parse(ToolCallFormat.HERMES, "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                + "\"days\": [1, 2], \"note\": \"a } in \\\" text\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>");
        assertEquals("Let me look.\n", r.content());
        assertEquals(2, r.calls().size());
        assertCall(r.calls().get(0), "get_weather", "{\"city\": \"Paris\", \"days\": [1, 2], \"note\": \"a } in \\\" text\"}");
        assertEquals("{\"city\": \"Paris\", \"days\": [1, 2], \"note\": \"a } in \\\" text\"}", r.calls().get(0).arguments(),
                "arguments exactly as written");
        assertCall(r.calls().get(1), "add", "{\"a\": 1, \"b\": 2}");
        assertTrue(r.calls().get(0).id().startsWith("call_"));
    }

    @Test void hermesKeysInAnotherOrderStillParse() {
        Rebuilt r = parse(ToolCallFormat.HERMES, "<tool_call>{\"arguments\": {\"a\": 3, \"b\": 4}, \"name\": \"add\"}</tool_call>");
        assertEquals("", r.content());
        assertCall(r.calls().getFirst(), "add", "{\"a\":3,\"b\":4}");
    }

    @Test void textThatOnlyLooksLikeAMarkerStaysText() {
        Rebuilt r = parse(ToolCallFormat.HERMES, "a <tool_ca b <tool_callx> c < tool_call>");
        assertEquals("a <tool_ca b <tool_callx> c < tool_call>", r.content());
        assertTrue(r.calls().isEmpty());
    }

    @Test void anUnknownFunctionOrBrokenCallIsKeptAsText() {
        String unknown = "<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {}}\n</tool_call>";
        Rebuilt r = parse(ToolCallFormat.HERMES, unknown);
        assertEquals(unknown, r.content());
        assertTrue(r.calls().isEmpty());
        String broken = "<tool_call>\n{\"name\": \"add\", \"argu";
        assertEquals(broken, parse(ToolCallFormat.HERMES, broken).content());
    }

    @Test void llamaJsonReply() {
        Rebuilt r = parse(ToolCallFormat.LLAMA3_JSON, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}");
        assertEquals("", r.content());
        assertCall(r.calls().getFirst(), "get_weather", "{\"city\": \"Oslo\"}");
        Rebuilt python = parse(ToolCallFormat.LLAMA3_JSON, "<|python_tag|>{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 1}}");
        assertCall(python.calls().getFirst(), "add", "{\"a\": 1, \"b\": 1}");
    }

    @Test void llamaTextThatStartsWithJsonButIsNoCallIsText() {
        String text = "{\"answer\": 42} is the answer";
        Rebuilt r = parse(ToolCallFormat.LLAMA3_JSON, text);
        assertEquals(text, r.content());
        assertTrue(r.calls().isEmpty());
        assertEquals("The weather is fine.", parse(ToolCallFormat.LLAMA3_JSON, "The weather is fine.").content());
    }

    @Test void mistralArrayWithAndWithoutMarker() {
        Rebuilt r = parse(ToolCallFormat.MISTRAL, "[TOOL_CALLS][{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}, "
                + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]");
        assertEquals(2, r.calls().size());
        assertEquals(9, r.calls().getFirst().id().length(), "Mistral's templates require 9-character ids");
        Rebuilt bare = parse(ToolCallFormat.MISTRAL, "[{\"name\": \"add\", \"arguments\": {\"a\": 5, \"b\": 6}}]");
        assertCall(bare.calls().getFirst(), "add", "{\"a\": 5, \"b\": 6}");
        assertEquals("", bare.content());
    }

    @Test void argumentsStreamBeforeTheCallEnds() {
        ToolCallExtractor x = new ToolCallExtractor(ToolCallFormat.HERMES, NAMES);
        List<ToolCallExtractor.Piece> first = x.accept("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa");
        assertEquals(2, first.size(), first.toString());
        assertEquals(new ToolCallExtractor.CallPiece(0, ((ToolCallExtractor.CallPiece) first.get(0)).id(), "get_weather", ""), first.get(0));
        assertEquals(new ToolCallExtractor.CallPiece(0, null, null, "{\"city\": \"Pa"), first.get(1));
        assertEquals(List.of(new ToolCallExtractor.CallPiece(0, null, null, "ris\"}")), x.accept("ris\"}}\n</tool"));
        assertEquals(List.of(), x.accept("_call>"));
        assertEquals(List.of(), x.finish());
        assertEquals(1, x.calls().size());
    }

    @Test void aCallCutOffByTheTokenLimitKeepsWhatCame() {
        ToolCallExtractor x = new ToolCallExtractor(ToolCallFormat.HERMES, NAMES);
        x.accept("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1");
        x.finish();
        assertEquals(List.of("{\"a\": 1"), x.calls().stream().map(ToolCall::arguments).toList());
    }
}
