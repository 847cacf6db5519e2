package dev.parley.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** Builds the frames a simulation sends and turns the frames it received into a {@link RequestSample}. */
public final class Frames {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A received message: Gatling's arrival timestamp (ms) and its text. */
    public record Received(long atMs, String text) {
        /** The form a check saves a matched message in (see {@link #stamped}): "millis|text". */
        static Received fromStamped(String stamped) {
            int bar = stamped.indexOf('|');
            return new Received(Long.parseLong(stamped.substring(0, bar)), stamped.substring(bar + 1));
        }
    }

    /** Applied by a check as the message arrives, so a message a check consumed keeps its arrival time. */
    public static String stamped(String text) {
        return System.currentTimeMillis() + "|" + text;
    }

    private Frames() {}

    public static String chat(String id, String session, String prompt, LoadConfig c) {
        return chat(id, session, prompt, c.maxTokens(), c.ignoreEos(), 0);
    }

    /** @param logprobs alternatives per token to ask for; 0 leaves the field out */
    public static String chat(String id, String session, String prompt, int maxTokens, boolean ignoreEos, int logprobs) {
        ObjectNode frame = JSON.createObjectNode().put("type", "chat").put("id", id);
        if (session != null) frame.put("session", session);
        frame.putArray("messages").addObject().put("role", "user").put("content", prompt);
        ObjectNode params = frame.putObject("params").put("max_tokens", maxTokens).put("ignore_eos", ignoreEos);
        if (logprobs > 0) params.put("logprobs", logprobs);
        return frame.toString();
    }

    public static String cancel(String id) {
        return JSON.createObjectNode().put("type", "cancel").put("id", id).toString();
    }

    public static String openAiRequest(String prompt, LoadConfig c) {
        ObjectNode body = JSON.createObjectNode().put("model", "parley").put("stream", true).put("max_tokens", c.maxTokens())
                .put("ignore_eos", c.ignoreEos()); // llama.cpp's and vLLM's extension, which Parley's API accepts too
        body.putObject("stream_options").put("include_usage", true); // the final chunk then carries completion_tokens
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        return body.toString();
    }

    /** What the WebSocket frames of one request say: its session, delta arrival times, how it ended. */
    public record WsOutcome(String session, long[] deltaMs, long endMs, String endType, String finishReason, String errorCode,
                            String errorMessage, int completionTokens) {}

    /** @param received every frame received since the request was sent, in any order; frames of other requests are skipped */
    public static WsOutcome readWs(String requestId, List<Received> received) {
        String session = null;
        List<Long> deltas = new ArrayList<>();
        for (Received r : received.stream().sorted((a, b) -> Long.compare(a.atMs(), b.atMs())).toList()) {
            JsonNode f = parse(r.text());
            if (!requestId.equals(f.path("id").asText())) continue; // e.g. a late reply to an earlier cancel
            switch (f.path("type").asText()) {
                case "started" -> session = f.path("session").asText(null);
                case "delta" -> {
                    if (!f.path("text").asText().isEmpty()) deltas.add(r.atMs());
                }
                case "done", "error" -> {
                    return new WsOutcome(session, deltas.stream().mapToLong(Long::longValue).toArray(), r.atMs(),
                            f.path("type").asText(), f.path("finish_reason").asText(null), f.path("code").asText(null),
                            f.path("message").asText(null), f.path("usage").path("completion_tokens").asInt());
                }
                default -> { }
            }
        }
        return new WsOutcome(session, deltas.stream().mapToLong(Long::longValue).toArray(), 0, null, null, null,
                "no done frame before the timeout", 0);
    }

    /** True when {@code text} is the frame that ends request {@code requestId}: its done or error frame. */
    public static boolean endsWs(String requestId, String text) {
        JsonNode f = parse(text);
        String type = f.path("type").asText();
        return requestId.equals(f.path("id").asText()) && (type.equals("done") || type.equals("error"));
    }

    /** True for the SSE message {@code data: [DONE]}, which ends an OpenAI stream. */
    public static boolean endsSse(String text) {
        return sseData(text).asText().equals("[DONE]");
    }

    /**
     * Gatling hands an SSE event over as JSON text with {@code data} inlined raw: an object for the server's chunks,
     * but {@code {"data":[DONE]}} (not valid JSON) for the end marker.
     */
    private static JsonNode sseData(String event) {
        if (event.replace(" ", "").contains("\"data\":[DONE]")) return JSON.getNodeFactory().textNode("[DONE]");
        JsonNode data = parse(event).path("data");
        return data.isTextual() && data.asText().startsWith("{") ? parse(data.asText()) : data;
    }

    /** What an OpenAI SSE stream said: arrival times of chunks with non-empty content, and the usage chunk's count. */
    public record SseOutcome(long[] deltaMs, long endMs, int completionTokens, String error) {}

    /** @param events Gatling's SSE messages: JSON objects whose {@code data} holds the server's chunk. */
    public static SseOutcome readSse(List<Received> events) {
        List<Long> deltas = new ArrayList<>();
        int tokens = 0;
        long endMs = 0;
        String error = null;
        for (Received r : events.stream().sorted((a, b) -> Long.compare(a.atMs(), b.atMs())).toList()) {
            JsonNode chunk = sseData(r.text());
            if (chunk.isTextual() && chunk.asText().equals("[DONE]")) endMs = r.atMs();
            if (!chunk.isObject()) continue;
            if (chunk.has("error")) error = chunk.path("error").path("message").asText("error chunk");
            if (chunk.path("usage").has("completion_tokens")) tokens = chunk.path("usage").path("completion_tokens").asInt();
            for (JsonNode choice : chunk.path("choices")) {
                if (!choice.path("delta").path("content").asText().isEmpty()) deltas.add(r.atMs());
            }
        }
        if (endMs == 0 && error == null) error = "no [DONE] before the timeout";
        return new SseOutcome(deltas.stream().mapToLong(Long::longValue).toArray(), endMs, tokens, error);
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode().put("type", "unparseable");
        }
    }
}
