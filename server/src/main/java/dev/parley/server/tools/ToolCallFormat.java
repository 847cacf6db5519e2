package dev.parley.server.tools;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a model family writes its tool calls, told from its chat template (the template that teaches the model its
 * tools also shows the call syntax). Each knows its wrapper text, which the parser looks for and the constrained
 * decoding writes, and how its call ids look.
 */
public enum ToolCallFormat {
    /** Hermes 2 Pro / 3, Qwen2.5, Qwen3: {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}, one block per call. */
    HERMES("<tool_call>\n", "\n</tool_call>", "\n", "arguments", List.of("<tool_call>"), false),
    /** Llama 3.1 / 3.2 custom tools: the whole reply is {@code {"name": ..., "parameters": {...}}} (one call). */
    LLAMA3_JSON("", "", "; ", "parameters", List.of("<|python_tag|>"), true),
    /**
     * Mistral (v3 tokenizer: Nemo, Large 2407): {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]}. The
     * {@code [TOOL_CALLS]} marker is a control token, which constrained decoding never writes (it bans control tokens),
     * so a constrained call is the bare array, which the parser takes as well.
     */
    MISTRAL("[", "]", ", ", "arguments", List.of("[TOOL_CALLS]"), true),
    /**
     * Templates that mention tools in no syntax above (e.g. Command-R, functionary): the tools reach the template, and the
     * reply is parsed as bare JSON calls {@code {"name": ..., "arguments"|"parameters": {...}}} at its start.
     */
    GENERIC_JSON("", "", ", ", "arguments", List.of(), true);

    /** What a constrained reply writes around all its calls (before the first, after the last). */
    public final String open;
    public final String close;
    /** Between two calls of one reply (Hermes closes and reopens its block). */
    public final String separator;
    /** The key under which the family writes a call's arguments. */
    public final String argumentsKey;
    /** Markers that start a call anywhere in a reply. */
    public final List<String> markers;
    /** Whether a reply that starts with JSON is taken as calls. */
    public final boolean bareJsonAtStart;

    ToolCallFormat(String open, String close, String separator, String argumentsKey, List<String> markers, boolean bareJsonAtStart) {
        this.open = open;
        this.close = close;
        this.separator = separator;
        this.argumentsKey = argumentsKey;
        this.markers = markers;
        this.bareJsonAtStart = bareJsonAtStart;
    }

    /** What a constrained reply writes between two calls. */
    public String between() {
        return this == HERMES ? close + "\n" + open : separator;
    }

    /** The family of a template; templates that do not mention {@code tools} get the default prompt, in Hermes syntax. */
    public static ToolCallFormat of(String templateSource) {
        if (templateSource.contains("<tool_call>")) return HERMES;
        if (templateSource.contains("[TOOL_CALLS]")) return MISTRAL;
        if (templateSource.contains("<|start_header_id|>") && templateSource.contains("\"parameters\"")) return LLAMA3_JSON;
        if (!knowsTools(templateSource)) return HERMES;
        return GENERIC_JSON;
    }

    /** Whether the template reads the {@code tools} variable at all; if not, the default tool prompt carries them. */
    public static boolean knowsTools(String templateSource) {
        return TOOLS_VARIABLE.matcher(templateSource).find();
    }

    /** {@code tools} inside a Jinja expression or statement. */
    private static final java.util.regex.Pattern TOOLS_VARIABLE = java.util.regex.Pattern.compile("\\{[{%][^}]*\\btools\\b");

    private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /** A new call id: Mistral's templates require exactly 9 alphanumerics; others get OpenAI's {@code call_} + 24. */
    public String newCallId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int length = this == MISTRAL ? 9 : 24;
        StringBuilder id = new StringBuilder(this == MISTRAL ? "" : "call_");
        for (int i = 0; i < length; i++) id.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
        return id.toString();
    }
}
