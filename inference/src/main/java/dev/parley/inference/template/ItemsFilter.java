package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** jinja2 3.1's {@code items} filter: (key, value) pairs of a mapping. Jinjava lacks it and would print nothing. */
final class ItemsFilter implements Filter {
    @Override
    public String getName() {
        return "items";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        if (value == null) return List.of();
        if (!(value instanceof Map<?, ?> map)) {
            throw new TemplateException("TypeError: Can only get item pairs from a mapping.");
        }
        List<Object> pairs = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) pairs.add(Arrays.asList(e.getKey(), e.getValue()));
        return pairs;
    }
}
