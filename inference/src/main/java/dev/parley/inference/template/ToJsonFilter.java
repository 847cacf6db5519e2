package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/**
 * transformers replaces jinja2's HTML-safe {@code tojson} with
 * {@code json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)}.
 * Jinjava's built-in prints compact JSON, which would change every tool prompt.
 */
final class ToJsonFilter implements Filter {
    private static final String[] PARAMETERS = {"ensure_ascii", "indent", "separators", "sort_keys"};

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return filter(value, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object[] bound = new Object[PARAMETERS.length];
        for (int i = 0; i < args.length && i < bound.length; i++) bound[i] = args[i];
        for (int i = 0; i < PARAMETERS.length; i++) {
            if (kwargs.containsKey(PARAMETERS[i])) bound[i] = kwargs.get(PARAMETERS[i]);
        }
        boolean ensureAscii = bound[0] != null && PythonValues.truthy(bound[0]);
        String indent = indentString(bound[1]);
        String itemSeparator = null;
        String keySeparator = null;
        if (bound[2] instanceof java.util.List<?> separators && separators.size() == 2) {
            itemSeparator = String.valueOf(separators.get(0));
            keySeparator = String.valueOf(separators.get(1));
        }
        boolean sortKeys = bound[3] != null && PythonValues.truthy(bound[3]);
        return new PythonJson(ensureAscii, indent, itemSeparator, keySeparator, sortKeys).dumps(value);
    }

    /** json.dumps accepts a number of spaces or a literal indent string. */
    private static String indentString(Object indent) {
        if (indent == null) return null;
        if (indent instanceof Number n) return " ".repeat(Math.max(0, n.intValue()));
        return indent.toString();
    }
}
