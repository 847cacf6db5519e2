package dev.parley.server.openai;

import dev.parley.server.model.ServingModel;
import dev.parley.server.model.ToolCall;
import dev.parley.server.tools.ToolCallExtractor;
import dev.parley.server.tools.ToolCallFormat;
import dev.parley.server.tools.ToolRequest;
import java.util.List;

/** Tool calls in OpenAI's reply shapes: the message's {@code tool_calls}, stream deltas and {@code finish_reason}. */
final class ToolReplies {
    private ToolReplies() {}

    /** The parser for a request's reply, in the served model's syntax; null when the request offers no tools. */
    static ToolCallExtractor extractor(ServingModel model, ToolRequest tools) {
        if (!tools.active()) return null;
        return new ToolCallExtractor(ToolCallFormat.of(model.formatter().templateSource()),
                java.util.Set.copyOf(tools.callable().stream().map(dev.parley.server.tools.FunctionTool::name).toList()));
    }

    static OpenAiFormat.ToolCallDelta delta(ToolCallExtractor.CallPiece piece) {
        return piece.id() != null
                ? new OpenAiFormat.ToolCallDelta(piece.index(), piece.id(), "function", new OpenAiFormat.FunctionDelta(piece.name(), piece.arguments()))
                : new OpenAiFormat.ToolCallDelta(piece.index(), null, null, new OpenAiFormat.FunctionDelta(null, piece.arguments()));
    }

    /** {@code tool_calls} when the reply made calls and ended by itself; a reply cut short keeps its reason (length). */
    static String finishReason(ToolCallExtractor tools, String textReason) {
        return !tools.calls().isEmpty() && textReason.equals("stop") ? "tool_calls" : textReason;
    }

    /** The assistant message of a whole reply: its text (null when it only made calls) and its calls. */
    static OpenAiFormat.OutMessage message(ToolCallExtractor tools) {
        List<ToolCall> calls = tools.calls();
        if (calls.isEmpty()) return new OpenAiFormat.OutMessage("assistant", tools.content(), null);
        String content = tools.content().isBlank() ? null : tools.content();
        List<OpenAiFormat.ToolCall> out = calls.stream()
                .map(c -> new OpenAiFormat.ToolCall(c.id(), "function", new OpenAiFormat.FunctionCall(c.name(), c.arguments()))).toList();
        return new OpenAiFormat.OutMessage("assistant", content, out);
    }
}
