package dev.parley.inference.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One JSON mapper for the CLI's --json output and --batch input. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String text, String what) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CliErrors.UsageException(what + ": invalid JSON: " + e.getOriginalMessage());
        }
    }

    /** A chat as plain Java data for the template: a list of message objects (every key passed through). */
    static List<Map<String, Object>> messages(JsonNode node) {
        if (node == null || !node.isArray()) throw new IllegalArgumentException("expected \"messages\": an array of {\"role\", \"content\"} objects");
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode m : node) {
            if (!m.isObject()) throw new IllegalArgumentException("every message must be a JSON object");
            @SuppressWarnings("unchecked") Map<String, Object> map = (Map<String, Object>) toJava(m);
            out.add(map);
        }
        return out;
    }

    /** JSON to String/Long/Double/Boolean/null/List/Map, the value types a Jinja template sees. */
    static Object toJava(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.properties().forEach(e -> m.put(e.getKey(), toJava(e.getValue())));
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(toJava(e)));
            return l;
        }
        if (n.isTextual()) return n.asText();
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        if (n.isBoolean()) return n.asBoolean();
        return null;
    }
}
