package dev.parley.inference.cli;

import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The CLI's JSON, through Micronaut Serde like the server's: --json output and --batch input. */
final class Json {
    private static final ObjectMapper MAPPER = ObjectMapper.getDefault();

    private Json() {}

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The document as a tree; malformed JSON is a usage error naming {@code what} was read. */
    static JsonNode parse(String text, String what) {
        JsonNode node;
        try {
            node = MAPPER.readValue(text, JsonNode.class);
        } catch (IOException | RuntimeException e) {
            throw new CliErrors.UsageException(what + ": invalid JSON: " + firstLine(e.getMessage()));
        }
        if (node == null) throw new CliErrors.UsageException(what + ": invalid JSON: no value");
        return node;
    }

    /** The member {@code name} of an object; null when absent or when {@code node} is no object. */
    static JsonNode member(JsonNode node, String name) {
        return node.isObject() ? node.get(name) : null;
    }

    /** The string member {@code name} of an object, or {@code otherwise} when it is absent or not a string. */
    static String string(JsonNode node, String name, String otherwise) {
        JsonNode member = member(node, name);
        return member != null && member.isString() ? member.getStringValue() : otherwise;
    }

    /** A chat as plain Java data for the template: a list of message objects (every key passed through). */
    static List<Map<String, Object>> messages(JsonNode node) {
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException("expected \"messages\": an array of {\"role\", \"content\"} objects");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode message : node.values()) {
            if (!message.isObject()) throw new IllegalArgumentException("every message must be a JSON object");
            @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) toJava(message);
            out.add(map);
        }
        return out;
    }

    /** JSON to String/Long/Double/Boolean/null/List/Map, the value types a Jinja template sees. */
    static Object toJava(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> member : node.entries()) map.put(member.getKey(), toJava(member.getValue()));
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonNode element : node.values()) list.add(toJava(element));
            return list;
        }
        if (node.isString()) return node.getStringValue();
        if (node.isNumber()) {
            Number number = node.getNumberValue();
            boolean integral = number instanceof Integer || number instanceof Long || number instanceof Short
                    || number instanceof Byte || number instanceof java.math.BigInteger;
            return integral ? (Object) number.longValue() : (Object) number.doubleValue();
        }
        if (node.isBoolean()) return node.getBooleanValue();
        return null;
    }

    /** Jackson appends a source-location line that only says the source was redacted; keep the first. */
    private static String firstLine(String message) {
        if (message == null) return "unreadable document";
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
