package dev.parley.server.tools;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One function the client offers the model: its name, what it does, and the JSON Schema of its arguments object.
 *
 * @param parameters the arguments' schema; a function declared without one takes no arguments ({@code {"type":"object",
 *                   "properties":{}}})
 */
public record FunctionTool(String name, String description, Map<String, Object> parameters) {
    public FunctionTool {
        parameters = parameters == null ? Map.of("type", "object", "properties", Map.of()) : parameters;
    }

    /** As Hugging Face templates receive a tool: OpenAI's {@code {"type":"function","function":{name, description, parameters}}}. */
    public Map<String, Object> asTemplateData() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        if (description != null) function.put("description", description);
        function.put("parameters", parameters);
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }
}
