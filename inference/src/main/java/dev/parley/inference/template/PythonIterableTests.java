package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.Collection;
import java.util.Map;

/**
 * jinja2's {@code is iterable} and {@code is sequence} are true for strings too (Llama 3.1 tells tool results
 * apart this way); Jinjava's versions say false for strings.
 */
final class PythonIterableTests {
    private PythonIterableTests() {}

    static ExpTest iterable() {
        return new Named("iterable", false);
    }

    static ExpTest sequence() {
        return new Named("sequence", true);
    }

    private record Named(String name, boolean needsLength) implements ExpTest {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean evaluate(Object value, JinjavaInterpreter interpreter, Object... args) {
            return value instanceof CharSequence || value instanceof Collection<?> || value instanceof Map<?, ?>
                    || value instanceof Object[] || (!needsLength && value instanceof Iterable<?>);
        }
    }
}
