package dev.parley.inference.template;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python semantics for method calls and indexing that Jinjava would otherwise map onto Java: {@code s.split(',')}
 * would call Java's regex split, {@code s.startswith(x)} would fail, {@code s[0]} would print nothing and
 * {@code '{}'.format(x)} would become {@code String.format}. Runs before Jinjava's own resolvers.
 */
final class PythonMethodResolver extends ELResolver {
    /** Name the source rewriter gives Python's {@code [::-1]}, which Jinjava's slice syntax cannot express. */
    static final String REVERSED_METHOD = "py_reversed";

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (base instanceof String s && stringIndex(property) != null) {
            int index = stringIndex(property);
            if (index < 0) index += s.length();
            if (index < 0 || index >= s.length()) throw new TemplateException("IndexError: string index out of range");
            context.setPropertyResolved(true);
            return String.valueOf(s.charAt(index));
        }
        return null;
    }

    /** Jinjava hands integer subscripts over as decimal strings, so both forms mean an index here. */
    private static Integer stringIndex(Object property) {
        if (property instanceof Long || property instanceof Integer) return ((Number) property).intValue();
        if (property instanceof String p && p.matches("-?\\d{1,9}")) return Integer.parseInt(p);
        return null;
    }

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) return null;
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) result = stringMethod(s, name, args);
        else if (base instanceof List<?> list) result = listMethod(list, name, args);
        else if (base instanceof Map<?, ?> map) result = mapMethod(map, name, args);
        else return null;
        if (result == NOT_HANDLED) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] args) {
        return switch (name) {
            case "strip" -> PythonStrings.strip(s, optionalString(args, 0), true, true);
            case "lstrip" -> PythonStrings.strip(s, optionalString(args, 0), true, false);
            case "rstrip" -> PythonStrings.strip(s, optionalString(args, 0), false, true);
            case "startswith" -> affixMatch(s, args, true);
            case "endswith" -> affixMatch(s, args, false);
            case "split" -> PythonStrings.split(s, optionalString(args, 0), optionalInt(args, 1, -1));
            case "rsplit" -> PythonStrings.rsplit(s, optionalString(args, 0), optionalInt(args, 1, -1));
            case "splitlines" -> PythonStrings.splitlines(s);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> PythonStrings.title(s);
            case "capitalize" -> PythonStrings.capitalize(s);
            case "replace" -> PythonStrings.replace(s, requiredString(args, 0), requiredString(args, 1), optionalInt(args, 2, -1));
            case "find" -> (long) s.indexOf(requiredString(args, 0));
            case "rfind" -> (long) s.lastIndexOf(requiredString(args, 0));
            case "count" -> (long) PythonStrings.count(s, requiredString(args, 0));
            case "join" -> PythonStrings.join(s, args.length > 0 ? args[0] : List.of());
            case "format" -> PythonStrings.format(s, Arrays.asList(args), Map.of());
            case "removeprefix" -> s.startsWith(requiredString(args, 0)) ? s.substring(requiredString(args, 0).length()) : s;
            case "removesuffix" -> {
                String suffix = requiredString(args, 0);
                yield !suffix.isEmpty() && s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
            }
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> PythonStrings.isPythonWhitespace((char) c));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case REVERSED_METHOD -> PythonStrings.reversed(s);
            default -> NOT_HANDLED;
        };
    }

    private static Object listMethod(List<?> list, String name, Object[] args) {
        if (name.equals(REVERSED_METHOD)) {
            List<Object> copy = new ArrayList<>(list);
            java.util.Collections.reverse(copy);
            return copy;
        }
        return NOT_HANDLED;
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "get" -> args.length == 0 ? NOT_HANDLED
                    : map.containsKey(args[0]) ? map.get(args[0]) : (args.length > 1 ? args[1] : null);
            case "items" -> {
                List<Object> pairs = new ArrayList<>(map.size());
                for (Map.Entry<?, ?> e : map.entrySet()) pairs.add(Arrays.asList(e.getKey(), e.getValue()));
                yield pairs;
            }
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            default -> NOT_HANDLED;
        };
    }

    /** {@code startswith} accepts one affix or a tuple/list of them. */
    private static boolean affixMatch(String s, Object[] args, boolean prefix) {
        Object affix = args.length > 0 ? args[0] : null;
        if (affix instanceof List<?> options) {
            for (Object option : options) {
                if (prefix ? s.startsWith(String.valueOf(option)) : s.endsWith(String.valueOf(option))) return true;
            }
            return false;
        }
        if (!(affix instanceof String text)) {
            throw new TemplateException("TypeError: " + (prefix ? "startswith" : "endswith")
                    + " first arg must be str or a tuple of str, not " + PythonStrings.typeName(affix));
        }
        return prefix ? s.startsWith(text) : s.endsWith(text);
    }

    private static String optionalString(Object[] args, int i) {
        return args.length > i && args[i] != null ? args[i].toString() : null;
    }

    private static String requiredString(Object[] args, int i) {
        if (args.length <= i || !(args[i] instanceof String s)) {
            throw new TemplateException("TypeError: expected a str argument, got " + (args.length > i ? PythonStrings.typeName(args[i]) : "nothing"));
        }
        return s;
    }

    private static int optionalInt(Object[] args, int i, int fallback) {
        return args.length > i && args[i] instanceof Number n ? n.intValue() : fallback;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
