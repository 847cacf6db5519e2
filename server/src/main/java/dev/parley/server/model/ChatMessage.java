package dev.parley.server.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.core.annotation.Creator;
import io.micronaut.serde.annotation.Serdeable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One turn of a conversation, as both APIs carry it. An assistant turn may hold the tool calls it made (its content
 * then may be null); a {@code tool} turn answers one of them by its {@code tool_call_id}.
 */
@Serdeable
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ChatMessage(@JsonInclude(JsonInclude.Include.ALWAYS) String role, String content,
                          @JsonProperty("tool_calls") List<ToolCall> toolCalls,
                          @JsonProperty("tool_call_id") String toolCallId) {
    @Creator
    public ChatMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
        this(role, content, List.of(), null);
    }

    /**
     * What the chat template sees, shaped as Hugging Face {@code apply_chat_template} expects: {@code tool_calls} as
     * {@code [{id, type:"function", function:{name, arguments}}]} with the arguments as a JSON object (templates write
     * them with {@code tojson}, as vLLM passes them), absent keys left out rather than null.
     */
    /** A conversation as the chat template sees it (see {@link #asTemplateData()}). */
    public static List<Map<String, Object>> templateData(List<ChatMessage> messages) {
        List<Map<String, Object>> data = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) data.add(m.asTemplateData());
        return data;
    }

    Map<String, Object> asTemplateData() {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("role", role);
        if (content != null) data.put("content", content);
        if (!toolCalls.isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ToolCall call : toolCalls) calls.add(call.asTemplateData());
            data.put("tool_calls", calls);
        }
        if (toolCallId != null) data.put("tool_call_id", toolCallId);
        return data;
    }
}
