package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The JSON Schema front end against a real JSON parser and JSON-Schema validator, on thousands of strings near each
 * schema's language (sampled sentences, their mutations, prefixes). Soundness, the guarantee constrained decoding
 * gives: every string the grammar accepts parses and validates. Completeness, up to the grammar's documented normal
 * form (properties in schema order, bounded whitespace, integers written as integers): every valid string in that
 * form is accepted.
 */
class JsonSchemaReferenceTest {
    static final String PERSON = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "minLength": 1, "maxLength": 12, "description": "annotations are fine"},
               "age": {"type": "integer"},
               "email": {"type": "string", "pattern": "^[a-z]+@[a-z]+\\\\.(com|org)$"},
               "address": {"$ref": "#/$defs/address"},
               "tags": {"type": "array", "items": {"enum": ["a", "b\\"c", "é"]}, "minItems": 1, "maxItems": 3},
               "score": {"anyOf": [{"type": "number"}, {"type": "null"}]},
               "active": {"type": "boolean"},
               "kind": {"const": "person"}
             },
             "required": ["name", "age", "address", "kind"],
             "additionalProperties": false,
             "$defs": {"address": {"type": "object",
               "properties": {"street": {"type": "string", "pattern": "[0-9]"},
                              "zip": {"type": "string", "pattern": "^\\\\d{5}$"}},
               "required": ["zip"], "additionalProperties": false}}}
            """;
    static final String TREE = """
            {"$defs": {"node": {"type": "object",
               "properties": {"value": {"type": "integer"},
                              "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
               "required": ["value", "children"], "additionalProperties": false}},
             "type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1, "maxItems": 3}
            """;
    static final String CHOICES = """
            {"type": "object",
             "properties": {
               "color": {"enum": ["red", "green", "blue", null, 1]},
               "size": {"type": ["integer", "string"]},
               "shape": {"anyOf": [
                 {"type": "object", "properties": {"circle": {"type": "number"}}, "required": ["circle"],
                  "additionalProperties": false},
                 {"type": "array", "items": {"type": "boolean"}, "maxItems": 2}]}
             },
             "required": ["color", "size", "shape"], "additionalProperties": false}
            """;
    /** Property names in the order the schemas above declare them (each name is used in one place only). */
    private static final List<String> KEY_ORDER = List.of("name", "age", "email", "address", "street", "zip", "tags", "score",
            "active", "kind", "value", "children", "color", "size", "shape", "circle");
    private static final Set<String> INTEGER_KEYS = Set.of("age", "value", "size");

    @Test
    void nestedObjectsWithRefsPatternsAndLengths() {
        check(PERSON, 1200, 300);
    }

    @Test
    void recursiveArraysWithBounds() {
        check(TREE, 1000, 200);
    }

    @Test
    void enumsAnyOfAndTypeLists() {
        check(CHOICES, 1000, 150);
    }

    @Test
    void anyJsonObject() {
        CompiledGrammar grammar = Grammars.jsonObject().compile();
        JsonReference reference = new JsonReference(null);
        int accepted = 0;
        RandomText text = new RandomText(grammar, new Random(7), "{}[]\":,truefalsenull0123456789.eE+-\\u ");
        for (String s : text.samples(1200, 100)) {
            boolean ours = grammar.matches(s);
            JsonNode node = JsonReference.parse(s);
            boolean theirs = node != null && node.isObject();
            if (ours) {
                accepted++;
                assertTrue(theirs, () -> "accepted but not a JSON object: " + s);
            } else if (theirs && inNormalForm(s, node)) {
                fail("a JSON object in normal form was rejected: " + s);
            }
        }
        assertTrue(accepted > 200, "accepted only " + accepted);
    }

    private static void check(String schema, int samples, int maxBytes) {
        CompiledGrammar grammar = Grammars.jsonSchema(schema).compile();
        JsonReference reference = new JsonReference(schema);
        RandomText text = new RandomText(grammar, new Random(schema.hashCode()), String.join("", KEY_ORDER) + "@.{}[]\":,0123456789");
        int accepted = 0;
        int validRejected = 0;
        for (String s : text.samples(samples, maxBytes)) {
            GrammarParser parser = grammar.newParser();
            boolean ours = parser.advance(s.getBytes(StandardCharsets.UTF_8)) && parser.isComplete();
            boolean theirs = reference.valid(s);
            if (ours) {
                accepted++;
                if (!theirs) {
                    JsonNode node = JsonReference.parse(s);
                    fail("accepted but invalid: " + s + "\n" + (node == null ? "does not parse" : reference.errors(node)));
                }
            } else if (theirs) {
                validRejected++;
                if (inNormalForm(s, JsonReference.parse(s))) fail("valid and in normal form, but rejected: " + s);
            }
        }
        assertTrue(accepted > samples / 10, "accepted only " + accepted + " of " + samples);
        assertTrue(validRejected < samples / 2, "rejected " + validRejected + " valid strings");
    }

    /**
     * The grammar's documented form: whitespace runs outside strings are empty, one space, or a newline plus up to 20
     * spaces/tabs (and none at the end); properties in schema order; integer properties written as integers.
     */
    static boolean inNormalForm(String s, JsonNode node) {
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') {
                inString = true;
            } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
                int end = i;
                while (end < s.length() && " \n\t\r".indexOf(s.charAt(end)) >= 0) end++;
                String run = s.substring(i, end);
                if (end == s.length() && i > 0) return false;
                if (!run.equals(" ") && !run.matches("\n[ \t]{0,20}")) return false;
                i = end - 1;
            }
        }
        return keysInOrder(node);
    }

    private static boolean keysInOrder(JsonNode node) {
        if (node.isArray()) {
            for (JsonNode child : node) if (!keysInOrder(child)) return false;
        } else if (node.isObject()) {
            int last = -1;
            Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                int at = KEY_ORDER.indexOf(e.getKey());
                if (at >= 0) {
                    if (at < last) return false;
                    last = at;
                }
                if (INTEGER_KEYS.contains(e.getKey()) && e.getValue().isNumber() && !e.getValue().isIntegralNumber()) return false;
                if (!keysInOrder(e.getValue())) return false;
            }
        }
        return true;
    }

    @Test
    void everyWalkOfTheGrammarThatFinishesValidates() {
        for (String schema : List.of(PERSON, TREE, CHOICES)) {
            CompiledGrammar grammar = Grammars.jsonSchema(schema).compile();
            JsonReference reference = new JsonReference(schema);
            RandomText text = new RandomText(grammar, new Random(11), "");
            List<String> complete = new ArrayList<>();
            for (int i = 0; i < 300 && complete.size() < 100; i++) {
                String s = text.walk(400, 0.5);
                if (grammar.matches(s)) complete.add(s);
            }
            assertTrue(complete.size() >= 50, "few walks finished: " + complete.size());
            for (String s : complete) assertEquals(true, reference.valid(s), s);
        }
    }
}
