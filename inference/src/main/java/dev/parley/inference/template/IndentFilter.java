package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.List;
import java.util.Map;

/**
 * jinja2's {@code indent(width=4, first=False, blank=False)}; Jinjava's takes other argument names and refuses
 * {@code first=}, which Command-R's tool template passes.
 */
final class IndentFilter implements Filter {
    private static final String[] PARAMETERS = {"width", "first", "blank"};

    @Override
    public String getName() {
        return "indent";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
        return filter(value, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object[] bound = {4L, false, false};
        for (int i = 0; i < args.length && i < bound.length; i++) bound[i] = args[i];
        for (int i = 0; i < PARAMETERS.length; i++) {
            if (kwargs.containsKey(PARAMETERS[i])) bound[i] = kwargs.get(PARAMETERS[i]);
        }
        String indentation = bound[0] instanceof Number n ? " ".repeat(Math.max(0, n.intValue())) : PythonValues.str(bound[0]);
        boolean first = PythonValues.truthy(bound[1]);
        boolean blank = PythonValues.truthy(bound[2]);

        // jinja2 appends a newline before splitting, so a trailing line end is not indented.
        List<String> lines = PythonStrings.splitlines(PythonValues.str(value) + "\n");
        StringBuilder out = new StringBuilder(lines.getFirst());
        for (String line : lines.subList(1, lines.size())) {
            out.append('\n');
            if (blank || !line.isEmpty()) out.append(indentation);
            out.append(line);
        }
        return first ? indentation + out : out.toString();
    }
}
