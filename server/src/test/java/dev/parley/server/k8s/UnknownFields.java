package dev.parley.server.k8s;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * fabric8 model classes accept any field and keep the ones they do not know in {@code getAdditionalProperties()}.
 * This walks an object tree through its getters and lists every such field with its path, so a typo like
 * {@code readinesProbe} or {@code imagee} is reported instead of being dropped by the API server.
 */
final class UnknownFields {
    private UnknownFields() {}

    static void collect(Object root, String path, List<String> out) {
        walk(root, path, out, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private static void walk(Object o, String path, List<String> out, Set<Object> seen) {
        if (o == null || !seen.add(o)) return;
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> walk(v, path + "." + k, out, seen));
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) walk(e, path + "[" + i++ + "]", out, seen);
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) return;
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class) continue;
            String n = m.getName();
            if (n.equals("getAdditionalProperties")) {
                if (invoke(m, o) instanceof Map<?, ?> extra) extra.keySet().forEach(k -> out.add(path + "." + k));
            } else if (n.startsWith("get") && n.length() > 3) {
                walk(invoke(m, o), path + "." + Character.toLowerCase(n.charAt(3)) + n.substring(4), out, seen);
            }
        }
    }

    private static Object invoke(Method m, Object o) {
        try {
            return m.invoke(o);
        } catch (IllegalAccessException | InvocationTargetException e) {
            return null; // derived getters that do not apply to this object (none are fields)
        }
    }
}
