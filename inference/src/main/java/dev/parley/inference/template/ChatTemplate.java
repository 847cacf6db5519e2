package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (Jinja), rendered exactly as Hugging Face transformers renders it with jinja2.
 * Thread-safe and reusable: compile once per model, render per request.
 */
public final class ChatTemplate {
    private final String rewrittenSource;

    private ChatTemplate(String rewrittenSource) {
        this.rewrittenSource = rewrittenSource;
    }

    /** Parses and checks a template; throws TemplateException with a clear one-line message if it cannot be used (e.g. unknown filter). */
    public static ChatTemplate compile(String source) {
        if (source == null) throw new TemplateException("chat template is missing");
        TemplateSourceRewriter.Result rewritten = TemplateSourceRewriter.rewrite(source);
        var context = HuggingFaceJinjava.ENGINE.getGlobalContext();
        for (String filter : rewritten.filters()) {
            if (context.getFilter(filter) == null) {
                throw new TemplateException("TemplateAssertionError: No filter named '" + filter + "'.");
            }
        }
        for (String test : rewritten.tests()) {
            if (context.getExpTest(test) == null) {
                throw new TemplateException("TemplateAssertionError: No test named '" + test + "'.");
            }
        }
        checkSyntax(rewritten.source());
        return new ChatTemplate(rewritten.source());
    }

    private static void checkSyntax(String source) {
        JinjavaInterpreter interpreter = HuggingFaceJinjava.ENGINE.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(source);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        for (TemplateError error : interpreter.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new TemplateException("TemplateSyntaxError: " + oneLine(error.getMessage()) + " (line " + error.getLineno() + ")");
            }
        }
    }

    /**
     * Renders. messages: list of maps with "role","content" (and any other keys, passed through as data).
     * now: the clock behind strftime_now (null = real clock, UTC). extra: additional context variables (e.g. "tools"), may be empty.
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, String bosToken, String eosToken,
                         Instant now, Map<String, Object> extra) {
        Map<String, Object> bindings = new HashMap<>(TemplateGlobals.functionVariables());
        if (extra != null) extra.forEach((k, v) -> bindings.put(k, copyData(v)));
        bindings.put("messages", copyData(messages));
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        bindings.put(TemplateGlobals.NOW_VARIABLE, now != null ? now : Instant.now());

        RenderResult result;
        try {
            result = HuggingFaceJinjava.ENGINE.renderForResult(rewrittenSource, bindings);
        } catch (TemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(e);
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) throw failure(error);
        }
        return result.getOutput();
    }

    private static TemplateException failure(TemplateError error) {
        Throwable cause = error.getException();
        TemplateException fromChain = findInChain(cause);
        if (fromChain != null) return fromChain;
        return new TemplateException("template error at line " + error.getLineno() + ": " + oneLine(error.getMessage()), cause);
    }

    private static TemplateException failure(RuntimeException e) {
        TemplateException fromChain = findInChain(e);
        return fromChain != null ? fromChain : new TemplateException("template error: " + oneLine(String.valueOf(e.getMessage())), e);
    }

    /** The template's own raise_exception message, or our own extension's error, wherever Jinjava wrapped it. */
    private static TemplateException findInChain(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TemplateGlobals.RaisedByTemplate raised) return new TemplateException(raised.getMessage(), raised);
            if (t instanceof TemplateException own) return own;
        }
        return null;
    }

    private static String oneLine(String message) {
        return message == null ? "unknown error" : message.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Templates see a private copy: Jinjava lets them call list.append, which must not reach the caller's data. */
    private static Object copyData(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), copyData(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            for (Object item : list) copy.add(copyData(item));
            return copy;
        }
        return value;
    }
}
