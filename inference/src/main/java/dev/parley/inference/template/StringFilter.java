package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/** jinja2's {@code string}: Python {@code str()}, so booleans become "True" and undefined becomes "". */
final class StringFilter implements Filter {
    @Override
    public String getName() {
        return "string";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return PythonValues.str(value);
    }
}
