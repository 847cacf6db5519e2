package dev.parley.server.tools;

import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A request's functions, its tool choice and whether several calls may come in one reply, checked: every malformed
 * piece is a {@code bad_request} naming the field, never silently dropped. Shared by the OpenAI API and the WebSocket,
 * which carry the same JSON ({@code tools}, {@code tool_choice}, {@code parallel_tool_calls}).
 */
public record ToolRequest(List<FunctionTool> tools, ToolChoice choice, boolean parallelCalls) {
    /** OpenAI's rule for function names. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");

    public static final ToolRequest NONE = new ToolRequest(List.of(), ToolChoice.NONE, true);

    public ToolRequest {
        tools = List.copyOf(tools);
    }

    /** Whether the model is offered tools at all ({@code tool_choice: none} renders and parses none). */
    public boolean active() {
        return !tools.isEmpty() && choice.mode() != ToolChoice.Mode.NONE;
    }

    /** The tools the model may call under this choice: the named one only, or all of them. */
    public List<FunctionTool> callable() {
        if (choice.mode() != ToolChoice.Mode.NAMED) return tools;
        return tools.stream().filter(t -> t.name().equals(choice.function())).toList();
    }

    public List<String> names() {
        return tools.stream().map(FunctionTool::name).toList();
    }

    /**
     * Reads the three fields as they arrived (JSON values as maps, lists and strings; null = absent).
     *
     * @param prefix how field names are spelled in errors ("" for OpenAI, "params." for the WebSocket)
     */
    public static ToolRequest parse(Object tools, Object toolChoice, Boolean parallelToolCalls, String prefix) {
        List<FunctionTool> functions = tools == null ? List.of() : functions(tools, prefix);
        ToolChoice choice = choice(toolChoice, functions, prefix);
        return new ToolRequest(functions, choice, parallelToolCalls == null || parallelToolCalls);
    }

    private static List<FunctionTool> functions(Object tools, String prefix) {
        if (!(tools instanceof List<?> list)) throw bad(prefix + "tools must be an array of {\"type\":\"function\",\"function\":{...}}");
        Map<String, FunctionTool> byName = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String where = prefix + "tools[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> tool)) throw bad(where + " must be an object");
            if (!"function".equals(tool.get("type")))
                throw bad(where + ".type must be \"function\" (got " + describe(tool.get("type")) + ")");
            if (!(tool.get("function") instanceof Map<?, ?> fn)) throw bad(where + ".function must be an object");
            if (!(fn.get("name") instanceof String name) || !NAME.matcher(name).matches())
                throw bad(where + ".function.name must be 1 to 64 of a-z, A-Z, 0-9, _ and - (got " + describe(fn.get("name")) + ")");
            Object description = fn.get("description");
            if (description != null && !(description instanceof String))
                throw bad(where + ".function.description must be a string");
            Object parameters = fn.get("parameters");
            if (parameters != null && !(parameters instanceof Map<?, ?>))
                throw bad(where + ".function.parameters must be a JSON Schema object");
            if (parameters instanceof Map<?, ?> schema && schema.get("type") != null && !"object".equals(schema.get("type")))
                throw bad(where + ".function.parameters must describe an object (\"type\":\"object\"), got " + describe(schema.get("type")));
            Object strict = fn.get("strict");
            if (strict != null && !(strict instanceof Boolean)) throw bad(where + ".function.strict must be a boolean");
            if (byName.containsKey(name)) throw bad(where + ": a second function named '" + name + "'");
            byName.put(name, new FunctionTool(name, (String) description, stringKeys(parameters)));
        }
        return new ArrayList<>(byName.values());
    }

    private static ToolChoice choice(Object toolChoice, List<FunctionTool> functions, String prefix) {
        String field = prefix + "tool_choice";
        if (toolChoice == null) return functions.isEmpty() ? ToolChoice.NONE : ToolChoice.AUTO;
        ToolChoice choice;
        if (toolChoice instanceof String s) {
            choice = switch (s) {
                case "none" -> ToolChoice.NONE;
                case "auto" -> ToolChoice.AUTO;
                case "required" -> ToolChoice.REQUIRED;
                default -> throw bad(field + " must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}} (got '" + s + "')");
            };
        } else if (toolChoice instanceof Map<?, ?> m && "function".equals(m.get("type")) && m.get("function") instanceof Map<?, ?> fn
                && fn.get("name") instanceof String name) {
            if (functions.stream().noneMatch(f -> f.name().equals(name)))
                throw bad(field + " names function '" + name + "', which is not in " + prefix + "tools"
                        + (functions.isEmpty() ? " (no tools were given)" : " (" + String.join(", ", functions.stream().map(FunctionTool::name).toList()) + ")"));
            choice = ToolChoice.named(name);
        } else {
            throw bad(field + " must be none, auto, required or {\"type\":\"function\",\"function\":{\"name\":...}}");
        }
        if (choice.mode() == ToolChoice.Mode.REQUIRED && functions.isEmpty())
            throw bad(field + " is required but no " + prefix + "tools were given");
        return choice;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> stringKeys(Object schema) {
        return (Map<String, Object>) schema;
    }

    private static String describe(Object value) {
        return value == null ? "nothing" : value instanceof String s ? "'" + s + "'" : value.toString();
    }

    private static ChatException bad(String message) {
        return new ChatException(ErrorCode.BAD_REQUEST, message);
    }
}
