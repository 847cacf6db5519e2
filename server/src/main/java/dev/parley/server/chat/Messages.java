package dev.parley.server.chat;

import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks of the conversation turns clients send, the same for the WebSocket and the OpenAI API. */
public final class Messages {
    private Messages() {}

    /** Checks a message from a client; the message names the offending field for the error frame. */
    public static void validate(ChatMessage m, String where) {
        if (m == null) throw new ChatException(ErrorCode.BAD_REQUEST, where + " is null");
        if (m.role() == null) throw new ChatException(ErrorCode.BAD_REQUEST, where + ".role is missing");
        if (!m.role().equals("system") && !m.role().equals("user") && !m.role().equals("assistant") && !m.role().equals("tool"))
            throw new ChatException(ErrorCode.BAD_REQUEST, where + ".role must be system, user, assistant or tool (got '" + m.role() + "')");
        if (!m.toolCalls().isEmpty() && !m.role().equals("assistant"))
            throw new ChatException(ErrorCode.BAD_REQUEST, where + ": only assistant messages carry tool_calls");
        if (m.toolCallId() != null && !m.role().equals("tool"))
            throw new ChatException(ErrorCode.BAD_REQUEST, where + ": only tool messages carry tool_call_id");
        if (m.role().equals("tool") && (m.toolCallId() == null || m.toolCallId().isEmpty()))
            throw new ChatException(ErrorCode.BAD_REQUEST, where + ".tool_call_id is missing: a tool message answers one tool call by its id");
        if (m.content() == null && m.toolCalls().isEmpty()) throw new ChatException(ErrorCode.BAD_REQUEST, where + ".content is missing");
        for (int i = 0; i < m.toolCalls().size(); i++) {
            ToolCall call = m.toolCalls().get(i);
            String at = where + ".tool_calls[" + i + "]";
            if (call == null) throw new ChatException(ErrorCode.BAD_REQUEST, at + " is null");
            if (call.id() == null || call.id().isEmpty()) throw new ChatException(ErrorCode.BAD_REQUEST, at + ".id is missing");
            if (!call.type().equals("function")) throw new ChatException(ErrorCode.BAD_REQUEST, at + ".type must be \"function\"");
            if (call.name() == null || call.name().isEmpty()) throw new ChatException(ErrorCode.BAD_REQUEST, at + ".function.name is missing");
            try {
                call.argumentsObject();
            } catch (IllegalArgumentException e) {
                throw new ChatException(ErrorCode.BAD_REQUEST, at + ".function.arguments must be a JSON object in a string");
            }
        }
    }

    /**
     * Checks that every tool message answers a call an earlier assistant message made (by id), so a result never
     * reaches the template without its call. {@code where} names message {@code i} for errors.
     */
    public static void validateToolResults(List<ChatMessage> conversation, java.util.function.IntFunction<String> where) {
        Set<String> calls = new HashSet<>();
        for (int i = 0; i < conversation.size(); i++) {
            ChatMessage m = conversation.get(i);
            for (ToolCall call : m.toolCalls()) calls.add(call.id());
            if (m.role().equals("tool") && !calls.contains(m.toolCallId()))
                throw new ChatException(ErrorCode.BAD_REQUEST, where.apply(i) + ".tool_call_id '" + m.toolCallId()
                        + "' answers no tool call of an earlier assistant message");
        }
    }
}
