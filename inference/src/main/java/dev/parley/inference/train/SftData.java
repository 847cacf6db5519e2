package dev.parley.inference.train;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Fine-tuning data: JSON Lines of {@code {"messages":[{"role":..,"content":..},...]}}, blank lines skipped. Every bad line
 * is an IllegalArgumentException naming the file and line: malformed JSON, no messages array, a message without
 * string role and content, no assistant turn, a conversation longer than the context.
 */
final class SftData {
    private static final ObjectMapper MAPPER = ObjectMapper.getDefault();

    private SftData() {}

    static List<ChatEncoder.Example> read(Path file, ChatEncoder encoder, int context) {
        return readLines(file, "conversations", line -> fitting(encoder.encode(messages(line)), context, "conversation"));
    }

    /**
     * Every non-blank line of {@code file} through {@code parse}; an IllegalArgumentException from it (or any failure of
     * the chat template, which runs inside it) becomes one naming the file and the line.
     */
    static <T> List<T> readLines(Path file, String what, Function<String, T> parse) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = file + " line " + (i + 1) + ": ";
            try {
                out.add(parse.apply(lines.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage(), e);
            } catch (RuntimeException e) { // a template that cannot render the conversation
                throw new IllegalArgumentException(where + "the chat template cannot render it: " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no " + what);
        return out;
    }

    /** {@code ex} when it fits the model's context, else an IllegalArgumentException saying so. */
    static ChatEncoder.Example fitting(ChatEncoder.Example ex, int context, String what) {
        if (ex.tokens().length > context)
            throw new IllegalArgumentException("the " + what + " is " + ex.tokens().length + " tokens, the model's context " + context);
        return ex;
    }

    /** One line's JSON object; IllegalArgumentException for malformed JSON or another value than an object. */
    static JsonNode object(String line) {
        JsonNode node;
        try {
            node = MAPPER.readValue(line, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? "unreadable" : e.getMessage().lines().findFirst().orElse("unreadable").strip();
            throw new IllegalArgumentException("invalid JSON: " + m);
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException("expected a JSON object");
        return node;
    }

    /** The messages of one line as plain data for the template. */
    static List<Map<String, Object>> messages(String line) {
        JsonNode messages = object(line).get("messages");
        if (messages == null || !messages.isArray())
            throw new IllegalArgumentException("expected {\"messages\": [{\"role\": ..., \"content\": ...}, ...]}");
        return messages(messages);
    }

    /** A messages array as plain data for the template; every message needs a string role and content. */
    static List<Map<String, Object>> messages(JsonNode messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : messages.values()) {
            JsonNode role = m.isObject() ? m.get("role") : null, content = m.isObject() ? m.get("content") : null;
            if (role == null || !role.isString() || content == null || !content.isString())
                throw new IllegalArgumentException("every message needs a string \"role\" and a string \"content\"");
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", role.getStringValue());
            map.put("content", content.getStringValue());
            out.add(map);
        }
        return out;
    }
}
