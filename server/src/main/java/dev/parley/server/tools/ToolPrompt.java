package dev.parley.server.tools;

import dev.parley.server.model.ChatFormatter;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A conversation with tools, as prompt tokens. A template that reads {@code tools} (Llama 3.1/3.2, Hermes, Qwen2.5/3,
 * Mistral, ...) gets them as Hugging Face passes them, and renders calls and results itself. Any other template gets
 * the conversation rewritten around the default tool prompt (README, "Tool calling"): the function list and the
 * Hermes call syntax in the system message, earlier calls as {@code <tool_call>} blocks in the assistant's text, and
 * tool results as {@code <tool_response>} blocks in a user turn, so templates that know only system, user and
 * assistant still render it.
 */
public final class ToolPrompt {
    private ToolPrompt() {}

    /** The default prompt's opening; the tools and the syntax follow (see {@link #defaultSystemPrompt}). */
    static final String DEFAULT_INTRO = "# Tools\n\nYou may call one or more functions to assist with the user query. "
            + "The functions, with the JSON Schema of their arguments, are within <tools></tools>:\n<tools>\n";

    public static int[] promptTokens(ChatFormatter formatter, List<ChatMessage> messages, ToolRequest tools) {
        boolean toolMessages = messages.stream().anyMatch(m -> m.role().equals("tool") || !m.toolCalls().isEmpty());
        if (!tools.active() && !toolMessages) return formatter.promptTokens(messages);
        if (ToolCallFormat.knowsTools(formatter.templateSource()))
            return formatter.promptTokens(messages, tools.active() ? templateTools(tools) : null);
        return formatter.promptTokens(withDefaultPrompt(messages, tools));
    }

    static List<Map<String, Object>> templateTools(ToolRequest tools) {
        return tools.tools().stream().map(FunctionTool::asTemplateData).toList();
    }

    /** The default tool prompt for these tools (what README documents). */
    static String defaultSystemPrompt(ToolRequest tools) {
        StringBuilder prompt = new StringBuilder(DEFAULT_INTRO);
        for (FunctionTool tool : tools.tools()) prompt.append(new JsonObject(tool.asTemplateData()).encode()).append('\n');
        prompt.append("</tools>\n\nTo call a function, reply with a JSON object holding its name and arguments within "
                + "<tool_call></tool_call> tags, one block per call:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                + "<arguments-object>}\n</tool_call>");
        return prompt.toString();
    }

    /** The conversation in roles every template knows, the tools described in the system message. */
    static List<ChatMessage> withDefaultPrompt(List<ChatMessage> messages, ToolRequest tools) {
        List<ChatMessage> out = new ArrayList<>();
        int start = 0;
        if (tools.active()) {
            String prompt = defaultSystemPrompt(tools);
            if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
                out.add(new ChatMessage("system", messages.getFirst().content() + "\n\n" + prompt));
                start = 1;
            } else {
                out.add(new ChatMessage("system", prompt));
            }
        }
        StringBuilder results = null;
        for (ChatMessage m : messages.subList(start, messages.size())) {
            if (m.role().equals("tool")) {
                results = results == null ? new StringBuilder() : results.append('\n');
                results.append("<tool_response>\n").append(m.content()).append("\n</tool_response>");
                continue;
            }
            if (results != null) {
                out.add(new ChatMessage("user", results.toString()));
                results = null;
            }
            out.add(m.toolCalls().isEmpty() ? m : new ChatMessage(m.role(), callsAsText(m)));
        }
        if (results != null) out.add(new ChatMessage("user", results.toString()));
        return out;
    }

    private static String callsAsText(ChatMessage m) {
        StringBuilder text = new StringBuilder(m.content() == null ? "" : m.content());
        for (ToolCall call : m.toolCalls()) {
            if (!text.isEmpty()) text.append('\n');
            text.append("<tool_call>\n{\"name\": \"").append(call.name()).append("\", \"arguments\": ").append(call.arguments())
                    .append("}\n</tool_call>");
        }
        return text.toString();
    }
}
