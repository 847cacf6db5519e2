package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/** jinja2's {@code trim(chars=None)}: Python {@code str.strip}; Jinjava's version prints undefined as "null". */
final class TrimFilter implements Filter {
    @Override
    public String getName() {
        return "trim";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        String chars = args.length > 0 ? args[0] : null;
        return PythonStrings.strip(PythonValues.str(value), chars, true, true);
    }
}
