package dev.parley.server.openai;

import dev.parley.server.model.ToolCall;
import dev.parley.server.tools.ToolCallExtractor;
import java.util.List;

/** Tool calls in OpenAI's reply shapes: the message's {@code tool_calls}, stream deltas and {@code finish_reason}. */
final class ToolReplies {
    private ToolReplies() {}

    /** {@code tool_calls} when the reply made calls and ended by itself; a reply cut short keeps its reason (length). */
    static String finishReason(ToolCallExtractor tools, String textReason) {
        return !tools.calls().isEmpty() && textReason.equals("stop") ? "tool_calls" : textReason;
    }

    /** The assistant message of a whole reply: its text (null when it only made calls) and its calls. */
    static OpenAiFormat.OutMessage message(ToolCallExtractor tools) {
        List<ToolCall> calls = tools.calls();
        if (calls.isEmpty()) return new OpenAiFormat.OutMessage("assistant", tools.content(), null);
        String content = tools.content().isBlank() ? null : tools.content();
        return new OpenAiFormat.OutMessage("assistant", content, calls);
    }
}
