package dev.parley.inference.constrain;

import static dev.parley.inference.constrain.GrammarExpr.literal;
import static dev.parley.inference.constrain.GrammarExpr.optional;
import static dev.parley.inference.constrain.GrammarExpr.ref;
import static dev.parley.inference.constrain.GrammarExpr.seq;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema to a grammar of the JSON texts that validate against it: the subset OpenAI's structured
 * outputs accept in strict mode. Supported: {@code type} (one or a list), {@code properties}, {@code required},
 * {@code additionalProperties: false}, {@code items}, {@code minItems}, {@code maxItems}, {@code enum},
 * {@code const}, {@code anyOf}, {@code $ref} to {@code #}, {@code #/$defs/..} or {@code #/definitions/..},
 * {@code pattern} (a regex subset, see {@link RegexParser}), {@code minLength}, {@code maxLength}; annotations
 * ({@code title}, {@code description}, {@code default}, ...) are accepted and have no effect.
 *
 * <p>Any other keyword is a {@link GrammarException} naming it and its JSON path, never silently ignored. The grammar
 * writes object properties in the schema's order, omits properties the schema does not declare (also when
 * {@code additionalProperties} is absent, which a validator would allow: the output is still valid), writes
 * integers without fraction or exponent and bounds whitespace as {@link JsonGrammars} does.
 */
public final class JsonSchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "default",
            "examples", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> OBJECT_KEYS = Set.of("properties", "required", "additionalProperties");
    private static final Set<String> ARRAY_KEYS = Set.of("items", "minItems", "maxItems");
    private static final Set<String> STRING_KEYS = Set.of("pattern", "minLength", "maxLength");
    private static final Set<String> GENERAL_KEYS = Set.of("type", "enum", "const", "anyOf", "$ref", "$defs", "definitions");
    private static final List<String> TYPES = List.of("object", "array", "string", "number", "integer", "boolean", "null");

    private final Map<String, Object> rootSchema;
    private final Map<String, GrammarExpr> rules = new LinkedHashMap<>();
    private final Set<String> compiledRefs = new HashSet<>();
    private int counter;

    private JsonSchemaCompiler(Object root) {
        if (!(root instanceof Map<?, ?>) && !(root instanceof Boolean)) {
            throw new GrammarException("a JSON Schema must be an object or a boolean, at $");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = root instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        this.rootSchema = map;
    }

    /** The grammar of a schema given as JSON text. */
    public static Grammar compile(String schemaJson) {
        return compile(JsonText.parse(schemaJson));
    }

    /** The grammar of a schema given as a parsed value ({@link JsonText}'s model). */
    public static Grammar compile(Object schema) {
        JsonSchemaCompiler compiler = new JsonSchemaCompiler(schema);
        GrammarExpr body = compiler.schema(schema, "$");
        compiler.rules.put("root", seq(ref(JsonGrammars.WS), body));
        Map<String, GrammarExpr> ordered = new LinkedHashMap<>();
        ordered.put("root", compiler.rules.remove("root"));
        ordered.putAll(compiler.rules);
        return new Grammar("root", ordered);
    }

    private GrammarExpr schema(Object node, String path) {
        if (node instanceof Boolean b) {
            if (b) {
                JsonGrammars.addValueRules(rules);
                return ref(JsonGrammars.VALUE);
            }
            return new GrammarExpr.Choice(List.of()); // false: nothing validates
        }
        if (!(node instanceof Map<?, ?>)) throw error(path, "a schema must be an object or a boolean");
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) node;
        for (String key : s.keySet()) {
            if (!ANNOTATIONS.contains(key) && !GENERAL_KEYS.contains(key) && !OBJECT_KEYS.contains(key)
                    && !ARRAY_KEYS.contains(key) && !STRING_KEYS.contains(key)) {
                throw new GrammarException("unsupported JSON Schema keyword '" + key + "' at " + path);
            }
        }
        if (s.containsKey("$defs")) requireObject(s.get("$defs"), path + ".$defs");
        if (s.containsKey("definitions")) requireObject(s.get("definitions"), path + ".definitions");
        Set<String> constraints = new LinkedHashSet<>(s.keySet());
        constraints.removeAll(ANNOTATIONS);
        constraints.remove("$defs");
        constraints.remove("definitions");

        if (s.containsKey("$ref")) {
            only(constraints, "$ref", path);
            return reference(s.get("$ref"), path + ".$ref");
        }
        if (s.containsKey("anyOf")) {
            only(constraints, "anyOf", path);
            if (!(s.get("anyOf") instanceof List<?> list) || list.isEmpty()) {
                throw error(path + ".anyOf", "anyOf must be a non-empty array");
            }
            List<GrammarExpr> alts = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) alts.add(schema(list.get(i), path + ".anyOf[" + i + "]"));
            return new GrammarExpr.Choice(alts);
        }
        List<String> types = types(s, path);
        if (s.containsKey("const") || s.containsKey("enum")) {
            if (s.containsKey("const") && s.containsKey("enum")) throw error(path, "both 'const' and 'enum' are not supported together");
            Set<String> allowed = new HashSet<>(constraints);
            allowed.removeAll(Set.of("type", "const", "enum"));
            if (!allowed.isEmpty()) {
                throw error(path, "keyword '" + allowed.iterator().next() + "' together with enum/const is not supported");
            }
            List<?> values = s.containsKey("const") ? List.of(s.get("const")) : enumValues(s.get("enum"), path + ".enum");
            List<GrammarExpr> alts = new ArrayList<>();
            for (Object v : values) {
                if (types != null && !types.contains(typeOf(v)) && !(typeOf(v).equals("integer") && types.contains("number"))) {
                    throw error(path, "value " + JsonText.write(v) + " is not of the schema's type " + types);
                }
                alts.add(literal(JsonText.write(v)));
            }
            return alts.size() == 1 ? alts.getFirst() : new GrammarExpr.Choice(alts);
        }
        if (types == null) types = inferTypes(s);
        Set<String> applicable = new HashSet<>(Set.of("type"));
        for (String type : types) {
            switch (type) {
                case "object" -> applicable.addAll(OBJECT_KEYS);
                case "array" -> applicable.addAll(ARRAY_KEYS);
                case "string" -> applicable.addAll(STRING_KEYS);
                default -> { }
            }
        }
        for (String key : constraints) {
            if (!applicable.contains(key)) {
                throw new GrammarException("JSON Schema keyword '" + key + "' at " + path + " does not apply to type " + types);
            }
        }
        List<GrammarExpr> alts = new ArrayList<>();
        for (String type : types) alts.add(typed(type, s, path));
        return alts.size() == 1 ? alts.getFirst() : new GrammarExpr.Choice(alts);
    }

    private GrammarExpr typed(String type, Map<String, Object> s, String path) {
        switch (type) {
            case "object" -> {
                return object(s, path);
            }
            case "array" -> {
                return array(s, path);
            }
            case "string" -> {
                return string(s, path);
            }
            case "number" -> {
                JsonGrammars.addScalarRules(rules);
                return ref(JsonGrammars.NUMBER);
            }
            case "integer" -> {
                JsonGrammars.addScalarRules(rules);
                return ref(JsonGrammars.INTEGER);
            }
            case "boolean" -> {
                JsonGrammars.addScalarRules(rules);
                return ref(JsonGrammars.BOOLEAN);
            }
            default -> {
                JsonGrammars.addScalarRules(rules);
                return ref(JsonGrammars.NULL);
            }
        }
    }

    private GrammarExpr object(Map<String, Object> s, String path) {
        JsonGrammars.addScalarRules(rules);
        Object additional = s.get("additionalProperties");
        if (additional != null && !Boolean.FALSE.equals(additional)) {
            if (!s.containsKey("properties") && Boolean.TRUE.equals(additional)) {
                JsonGrammars.addValueRules(rules);
                return ref(JsonGrammars.OBJECT);
            }
            throw error(path + ".additionalProperties", "only 'additionalProperties: false' is supported");
        }
        if (!s.containsKey("properties")) {
            if (s.containsKey("required")) throw error(path + ".required", "'required' without 'properties' is not supported");
            if (additional == null) { // a plain {"type": "object"}: any object
                JsonGrammars.addValueRules(rules);
                return ref(JsonGrammars.OBJECT);
            }
            return seq(literal("{"), ref(JsonGrammars.WS), literal("}"));
        }
        Map<String, Object> properties = requireObject(s.get("properties"), path + ".properties");
        Set<String> required = new HashSet<>();
        if (s.containsKey("required")) {
            if (!(s.get("required") instanceof List<?> list)) {
                throw error(path + ".required", "'required' must be an array of property names");
            }
            for (Object name : list) {
                if (!(name instanceof String n)) throw error(path + ".required", "'required' must be an array of property names");
                if (!properties.containsKey(n)) throw error(path + ".required", "required property '" + n + "' is not in 'properties'");
                required.add(n);
            }
        }
        List<String> names = new ArrayList<>(properties.keySet());
        List<GrammarExpr> members = new ArrayList<>();
        for (String name : names) {
            GrammarExpr value = schema(properties.get(name), path + ".properties." + name);
            members.add(seq(literal(JsonText.quote(name)), ref(JsonGrammars.WS), literal(":"), ref(JsonGrammars.WS), value,
                    ref(JsonGrammars.WS)));
        }
        // rest(i, comma): properties i.. in order; required ones must appear; "," before each after the first written.
        String base = "object-" + (++counter);
        GrammarExpr[] withComma = new GrammarExpr[names.size() + 1];
        GrammarExpr[] noComma = new GrammarExpr[names.size() + 1];
        withComma[names.size()] = new GrammarExpr.Sequence(List.of());
        noComma[names.size()] = withComma[names.size()];
        for (int i = names.size() - 1; i >= 0; i--) {
            GrammarExpr afterThis = withComma[i + 1];
            GrammarExpr takeWithComma = seq(literal(","), ref(JsonGrammars.WS), members.get(i), afterThis);
            GrammarExpr takeFirst = seq(members.get(i), afterThis);
            boolean isRequired = required.contains(names.get(i));
            String commaRule = base + "-" + i + "-after";
            String firstRule = base + "-" + i + "-first";
            rules.put(commaRule, isRequired ? takeWithComma : new GrammarExpr.Choice(List.of(takeWithComma, withComma[i + 1])));
            rules.put(firstRule, isRequired ? takeFirst : new GrammarExpr.Choice(List.of(takeFirst, noComma[i + 1])));
            withComma[i] = ref(commaRule);
            noComma[i] = ref(firstRule);
        }
        return seq(literal("{"), ref(JsonGrammars.WS), noComma[0], literal("}"));
    }

    private GrammarExpr array(Map<String, Object> s, String path) {
        JsonGrammars.addScalarRules(rules);
        GrammarExpr item;
        if (s.containsKey("items")) {
            item = schema(s.get("items"), path + ".items");
        } else {
            JsonGrammars.addValueRules(rules);
            item = ref(JsonGrammars.VALUE);
        }
        int min = count(s, "minItems", path, 0);
        int max = count(s, "maxItems", path, GrammarExpr.Repeat.UNBOUNDED);
        if (max != GrammarExpr.Repeat.UNBOUNDED && max < min) throw error(path, "maxItems is below minItems");
        String itemRule = "array-item-" + (++counter);
        rules.put(itemRule, seq(item, ref(JsonGrammars.WS)));
        if (max == 0) return seq(literal("["), ref(JsonGrammars.WS), literal("]"));
        GrammarExpr rest = new GrammarExpr.Repeat(seq(literal(","), ref(JsonGrammars.WS), ref(itemRule)),
                Math.max(min - 1, 0), max == GrammarExpr.Repeat.UNBOUNDED ? max : max - 1);
        GrammarExpr body = seq(ref(itemRule), rest);
        return seq(literal("["), ref(JsonGrammars.WS), min == 0 ? optional(body) : body, literal("]"));
    }

    private GrammarExpr string(Map<String, Object> s, String path) {
        JsonGrammars.addScalarRules(rules);
        boolean lengths = s.containsKey("minLength") || s.containsKey("maxLength");
        if (s.containsKey("pattern")) {
            if (lengths) throw error(path, "'pattern' together with minLength/maxLength is not supported");
            if (!(s.get("pattern") instanceof String pattern)) throw error(path + ".pattern", "'pattern' must be a string");
            GrammarExpr content;
            try {
                content = RegexParser.expression(pattern);
            } catch (GrammarException e) {
                throw error(path + ".pattern", e.getMessage());
            }
            // JSON Schema patterns search the string: unanchored ends match anything.
            GrammarExpr anything = GrammarExpr.star(GrammarExpr.CharClass.ANY);
            List<GrammarExpr> parts = new ArrayList<>();
            if (!pattern.startsWith("^")) parts.add(anything);
            parts.add(content);
            if (!pattern.endsWith("$") || pattern.endsWith("\\$")) parts.add(anything);
            return seq(literal("\""), JsonGrammars.escapedForString(new GrammarExpr.Sequence(parts)), literal("\""));
        }
        if (lengths) {
            int min = count(s, "minLength", path, 0);
            int max = count(s, "maxLength", path, GrammarExpr.Repeat.UNBOUNDED);
            if (max != GrammarExpr.Repeat.UNBOUNDED && max < min) throw error(path, "maxLength is below minLength");
            JsonGrammars.addCountedCharRule(rules);
            return seq(literal("\""), new GrammarExpr.Repeat(ref(JsonGrammars.COUNTED_CHAR), min, max), literal("\""));
        }
        return ref(JsonGrammars.STRING);
    }

    private GrammarExpr reference(Object target, String path) {
        if (!(target instanceof String pointer)) throw error(path, "$ref must be a string");
        Object resolved;
        String rule;
        if (pointer.equals("#")) {
            resolved = rootSchema;
            rule = "ref-root";
        } else if (pointer.startsWith("#/$defs/") || pointer.startsWith("#/definitions/")) {
            String container = pointer.startsWith("#/$defs/") ? "$defs" : "definitions";
            String name = pointer.substring(container.length() + 3).replace("~1", "/").replace("~0", "~");
            Object defs = rootSchema.get(container);
            if (!(defs instanceof Map<?, ?> map) || !map.containsKey(name)) throw error(path, "$ref '" + pointer + "' does not resolve");
            resolved = map.get(name);
            rule = "ref-" + name.replaceAll("[^A-Za-z0-9-]", "-") + "-" + Integer.toHexString(pointer.hashCode());
        } else {
            throw error(path, "only local $ref ('#', '#/$defs/...', '#/definitions/...') is supported, not '" + pointer + "'");
        }
        if (compiledRefs.add(rule)) {
            rules.put(rule, new GrammarExpr.Sequence(List.of())); // placeholder while compiling (recursive schemas)
            rules.put(rule, schema(resolved, pointer.equals("#") ? "$" : "$." + pointer.substring(2).replace('/', '.')));
        }
        return ref(rule);
    }

    private List<String> types(Map<String, Object> s, String path) {
        Object t = s.get("type");
        if (t == null) return null;
        List<String> out = new ArrayList<>();
        if (t instanceof String one) {
            out.add(one);
        } else if (t instanceof List<?> list && !list.isEmpty()) {
            for (Object o : list) {
                if (!(o instanceof String name)) throw error(path + ".type", "type names must be strings");
                out.add(name);
            }
        } else {
            throw error(path + ".type", "'type' must be a type name or a non-empty array of them");
        }
        for (String name : out) if (!TYPES.contains(name)) throw error(path + ".type", "unknown type '" + name + "'");
        return out;
    }

    private static List<String> inferTypes(Map<String, Object> s) {
        for (String key : s.keySet()) {
            if (OBJECT_KEYS.contains(key)) return List.of("object");
            if (ARRAY_KEYS.contains(key)) return List.of("array");
            if (STRING_KEYS.contains(key)) return List.of("string");
        }
        return List.of("object", "array", "string", "number", "boolean", "null"); // no constraint: any value
    }

    private static String typeOf(Object v) {
        return switch (v) {
            case Map<?, ?> m -> "object";
            case List<?> l -> "array";
            case String str -> "string";
            case JsonText.JsonNumber n -> n.text().matches("-?\\d+") ? "integer" : "number";
            case Boolean b -> "boolean";
            default -> "null";
        };
    }

    private List<?> enumValues(Object e, String path) {
        if (!(e instanceof List<?> list) || list.isEmpty()) throw error(path, "'enum' must be a non-empty array");
        return list;
    }

    private int count(Map<String, Object> s, String key, String path, int absent) {
        if (!s.containsKey(key)) return absent;
        if (!(s.get(key) instanceof JsonText.JsonNumber n) || !n.text().matches("\\d{1,9}")) {
            throw error(path + "." + key, "'" + key + "' must be a non-negative integer");
        }
        int value = Integer.parseInt(n.text());
        if (value > GrammarExpr.MAX_REPEAT) {
            throw error(path + "." + key, "'" + key + "' above " + GrammarExpr.MAX_REPEAT + " is not supported");
        }
        return value;
    }

    private void only(Set<String> constraints, String keyword, String path) {
        for (String other : constraints) {
            if (!other.equals(keyword)) throw error(path, "keyword '" + other + "' next to '" + keyword + "' is not supported");
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> requireObject(Object value, String path) {
        if (!(value instanceof Map<?, ?>)) throw error(path, "must be an object");
        return (Map<String, Object>) value;
    }

    private static GrammarException error(String path, String message) {
        return new GrammarException("JSON Schema error at " + path + ": " + message);
    }
}
