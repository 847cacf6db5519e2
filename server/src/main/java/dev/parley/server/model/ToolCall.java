package dev.parley.server.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.micronaut.core.annotation.Creator;
import io.micronaut.serde.annotation.Serdeable;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A call of one of the request's functions, made by the model, in OpenAI's shape
 * ({@code {"id", "type": "function", "function": {"name", "arguments"}}}, the same on the WebSocket):
 * {@code arguments} is the JSON object text exactly as the model wrote it.
 */
@Serdeable
public record ToolCall(String id, String type, Function function) {
    @Serdeable
    public record Function(String name, @JsonInclude(JsonInclude.Include.ALWAYS) String arguments) {}

    @Creator
    public ToolCall {
        type = type == null ? "function" : type;
    }

    public ToolCall(String id, String name, String arguments) {
        this(id, "function", new Function(name, arguments));
    }

    public String name() { return function == null ? null : function.name(); }

    public String arguments() { return function == null ? null : function.arguments(); }

    /** The arguments as a map; throws IllegalArgumentException when they are not one JSON object. */
    public Map<String, Object> argumentsObject() {
        try {
            return plain(new JsonObject(arguments()));
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("arguments of tool call '" + id + "' are not a JSON object: " + e.getMessage());
        }
    }

    /** Nested maps and lists, as the template engine walks them (Vert.x may hand out its JSON wrappers). */
    private static Map<String, Object> plain(JsonObject object) {
        Map<String, Object> out = new LinkedHashMap<>();
        object.forEach(e -> out.put(e.getKey(), plain(e.getValue())));
        return out;
    }

    private static Object plain(Object value) {
        if (value instanceof JsonObject o) return plain(o);
        if (value instanceof JsonArray a) {
            List<Object> out = new ArrayList<>(a.size());
            for (Object item : a) out.add(plain(item));
            return out;
        }
        return value;
    }

    Map<String, Object> asTemplateData() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name());
        function.put("arguments", argumentsObject());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("id", id);
        data.put("type", "function");
        data.put("function", function);
        return data;
    }
}
