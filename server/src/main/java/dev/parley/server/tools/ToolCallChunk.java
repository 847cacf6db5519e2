package dev.parley.server.tools;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.parley.server.model.ToolCall;
import io.micronaut.serde.annotation.Serdeable;

/**
 * One streamed piece of a tool call, as OpenAI streams them in {@code delta.tool_calls} (and the WebSocket's
 * {@code delta} frames carry them): the first piece of a call has its {@code id}, {@code type} and name with empty
 * arguments, the following ones only the {@code index} and the next piece of the arguments.
 */
@Serdeable
public record ToolCallChunk(@JsonInclude(JsonInclude.Include.ALWAYS) int index, String id, String type, ToolCall.Function function) {
    public static ToolCallChunk of(ToolCallExtractor.CallPiece piece) {
        return piece.id() != null
                ? new ToolCallChunk(piece.index(), piece.id(), "function", new ToolCall.Function(piece.name(), piece.arguments()))
                : new ToolCallChunk(piece.index(), null, null, new ToolCall.Function(null, piece.arguments()));
    }
}
