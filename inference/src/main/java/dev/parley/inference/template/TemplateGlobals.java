package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/** The globals transformers adds to every chat template: {@code raise_exception} and {@code strftime_now}. */
final class TemplateGlobals {
    /** Context variable holding the render's clock; a name no template can spell by accident. */
    static final String NOW_VARIABLE = "__parley_now__";

    private TemplateGlobals() {}

    static ELFunctionDefinition raiseExceptionFunction() {
        return new ELFunctionDefinition("", "raise_exception", TemplateGlobals.class, "raiseException", Object.class);
    }

    static ELFunctionDefinition strftimeNowFunction() {
        return new ELFunctionDefinition("", "strftime_now", TemplateGlobals.class, "strftimeNow", String.class);
    }

    public static Object raiseException(Object message) {
        throw new RaisedByTemplate(PythonValues.str(message));
    }

    public static String strftimeNow(String format) {
        Object now = JinjavaInterpreter.getCurrentMaybe().map(i -> i.getContext().get(NOW_VARIABLE)).orElse(null);
        Instant instant = now instanceof Instant i ? i : Instant.now();
        return PythonStrftime.format(format, instant.atZone(ZoneOffset.UTC));
    }

    /**
     * What the names of the global functions hold as variables, so that {@code strftime_now is defined} is true as
     * in jinja2 (Llama 3.2 checks it); calls still go to the registered functions.
     */
    record FunctionName(String name) {
        @Override
        public String toString() {
            return "<function " + name + ">";
        }
    }

    static Map<String, Object> functionVariables() {
        return Map.of("raise_exception", new FunctionName("raise_exception"), "strftime_now", new FunctionName("strftime_now"));
    }

    /** Jinjava records exceptions from functions as errors and renders on; ChatTemplate finds this in the cause chain. */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message, null, false, false);
        }
    }
}
