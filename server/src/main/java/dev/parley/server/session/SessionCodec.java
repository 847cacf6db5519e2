package dev.parley.server.session;

import dev.parley.inference.sampling.SamplingParams;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A session's state as the JSON a shared store keeps: {@code {"history":[{role,content[,tool_calls:[{id,name,arguments}]]
 * [,tool_call_id]}...],"params":{...}|null,"adapter":NAME|null}}.
 * Every SamplingParams field is written, so a replica resuming the session regenerates with exactly the same settings.
 */
final class SessionCodec {
    private SessionCodec() {}

    static String encode(Session.State state) {
        JsonArray history = new JsonArray();
        for (ChatMessage m : state.history()) {
            JsonObject message = new JsonObject().put("role", m.role()).put("content", m.content());
            if (!m.toolCalls().isEmpty()) {
                JsonArray calls = new JsonArray();
                for (ToolCall c : m.toolCalls()) calls.add(new JsonObject().put("id", c.id()).put("name", c.name()).put("arguments", c.arguments()));
                message.put("tool_calls", calls);
            }
            if (m.toolCallId() != null) message.put("tool_call_id", m.toolCallId());
            history.add(message);
        }
        SamplingParams p = state.lastParams();
        return new JsonObject().put("history", history).put("params", p == null ? null : encode(p)).put("adapter", state.adapter()).encode();
    }

    static Session.State decode(String json) {
        JsonObject o = new JsonObject(json);
        List<ChatMessage> history = new ArrayList<>();
        for (Object m : o.getJsonArray("history")) {
            JsonObject msg = (JsonObject) m;
            List<ToolCall> calls = new ArrayList<>();
            JsonArray toolCalls = msg.getJsonArray("tool_calls");
            if (toolCalls != null) {
                for (Object c : toolCalls) {
                    JsonObject call = (JsonObject) c;
                    calls.add(new ToolCall(call.getString("id"), call.getString("name"), call.getString("arguments")));
                }
            }
            history.add(new ChatMessage(msg.getString("role"), msg.getString("content"), calls, msg.getString("tool_call_id")));
        }
        JsonObject p = o.getJsonObject("params");
        return new Session.State(history, p == null ? null : decodeParams(p), o.getString("adapter"));
    }

    private static JsonObject encode(SamplingParams p) {
        JsonObject bias = new JsonObject();
        p.logitBias().forEach((token, b) -> bias.put(Integer.toString(token), b));
        return new JsonObject().put("temperature", p.temperature()).put("top_k", p.topK()).put("top_p", p.topP())
                .put("min_p", p.minP()).put("repetition_penalty", p.repetitionPenalty())
                .put("frequency_penalty", p.frequencyPenalty()).put("presence_penalty", p.presencePenalty())
                .put("penalty_last_n", p.penaltyLastN()).put("logit_bias", bias).put("seed", p.seed())
                .put("max_tokens", p.maxTokens()).put("stop", new JsonArray(new ArrayList<>(p.stop())))
                .put("ignore_eos", p.ignoreEos()).put("logprobs", p.logprobs());
    }

    private static SamplingParams decodeParams(JsonObject o) {
        Map<Integer, Float> bias = new LinkedHashMap<>();
        // a ban (-Infinity) is not a JSON number: Jackson writes it as the string "-Infinity"
        o.getJsonObject("logit_bias").forEach(e -> bias.put(Integer.parseInt(e.getKey()),
                e.getValue() instanceof Number n ? n.floatValue() : Float.parseFloat((String) e.getValue())));
        List<String> stop = new ArrayList<>();
        for (Object s : o.getJsonArray("stop")) stop.add((String) s);
        return new SamplingParams(o.getFloat("temperature"), o.getInteger("top_k"), o.getFloat("top_p"), o.getFloat("min_p"),
                o.getFloat("repetition_penalty"), o.getFloat("frequency_penalty"), o.getFloat("presence_penalty"),
                o.getInteger("penalty_last_n"), bias, o.getLong("seed"), o.getInteger("max_tokens"), stop,
                o.getBoolean("ignore_eos"), o.getInteger("logprobs"));
    }
}
