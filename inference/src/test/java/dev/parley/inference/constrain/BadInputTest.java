package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every malformed or unsupported constraint is refused with a message that says what and where. */
class BadInputTest {
    private static void refused(Executable compile, String... expected) {
        GrammarException e = assertThrows(GrammarException.class, compile);
        for (String part : expected) assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' lacks '" + part + "'");
    }

    private static void gbnf(String text, String... expected) {
        refused(() -> Grammars.gbnf(text).compile(), expected);
    }

    private static void regex(String pattern, String... expected) {
        refused(() -> Grammars.regex(pattern).compile(), expected);
    }

    private static void schema(String json, String... expected) {
        refused(() -> Grammars.jsonSchema(json).compile(), expected);
    }

    @Test
    void invalidGbnfNamesLineAndColumn() {
        gbnf("root ::= \"a\" b\n", "line 1, column 14", "rule 'b' is not defined");
        gbnf("root ::= \"a\"\nb ::= \"x\n", "line 2, column 7", "unterminated string literal");
        gbnf("root ::= \"a\"\n\nb = \"x\"\n", "line 3, column 3", "expected '::='");
        gbnf("root ::= [a-\n", "line 1, column 10", "unterminated character class");
        gbnf("root ::= \"\\q\"", "line 1, column 11", "unknown escape '\\q'");
        gbnf("root ::= * \"a\"", "line 1, column 10", "nothing before it");
        gbnf("root ::= (\"a\" | \"b\"\n", "line 1, column 10", "unclosed '('");
        gbnf("root ::= \"a\" )", "line 1, column 14", "expected the end of the line");
        gbnf("root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1", "rule 'root' is defined twice");
        gbnf("root ::= <[1000]>", "token references");
        gbnf("expr ::= \"a\"", "no 'root' rule");
        gbnf("root ::= \"a\"{3,2}", "maximum below minimum");
        gbnf("root ::= [z-a]", "reversed");
        gbnf("root ::= \"\\U00110000\"", "not a Unicode scalar value");
    }

    @Test
    void grammarsThatCannotRunAreRefused() {
        gbnf("root ::= expr\nexpr ::= expr \"+\" \"1\" | \"1\"", "rule 'expr' is left-recursive");
        gbnf("root ::= a\na ::= b? \"x\" | \"y\"\nb ::= a \"z\"", "left-recursive");
        gbnf("root ::= \"a\" root", "matches no string");
        gbnf("root ::= [^\\x00-\\U0010FFFF]", "matches no string");
    }

    @Test
    void unsupportedRegexConstructsAreNamed() {
        regex("a(?=b)", "column 2", "lookaround");
        regex("(a)\\1", "column 4", "backreferences");
        regex("\\bword", "column 1", "anchor '\\b'");
        regex("a++", "column 3", "possessive");
        regex("(ab", "column 1", "unclosed '('");
        regex("ab)", "column 3", "unmatched ')'");
        regex("[a-z&&[^q]]", "class intersection");
        regex("\\p{L}", "Unicode property");
        regex("(?i)abc", "inline flags");
        regex("a{2,1}", "maximum below minimum");
        regex("a^b", "'^' is only supported at the start");
        regex("[]a]", "empty character class");
        regex("*a", "nothing before it");
    }

    @Test
    void unsupportedSchemaKeywordsAreNamedWithTheirPath() {
        schema("{\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\",\"minimum\":0}},\"additionalProperties\":false}",
                "unsupported JSON Schema keyword 'minimum'", "$.properties.age");
        schema("{\"type\":\"string\",\"format\":\"date-time\"}", "keyword 'format'", "at $");
        schema("{\"oneOf\":[{\"type\":\"string\"}]}", "keyword 'oneOf'");
        schema("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"uniqueItems\":true}}", "'uniqueItems'", "$.items");
        schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":true}",
                "only 'additionalProperties: false'", "$.additionalProperties");
        schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"b\"]}",
                "required property 'b' is not in 'properties'", "$.required");
        schema("{\"$ref\":\"#/$defs/missing\"}", "does not resolve", "$.$ref");
        schema("{\"$ref\":\"https://example.com/s.json\"}", "only local $ref");
        schema("{\"type\":\"strnig\"}", "unknown type 'strnig'", "$.type");
        schema("{\"type\":\"string\",\"items\":{}}", "'items'", "does not apply to type [string]");
        schema("{\"type\":\"string\",\"pattern\":\"a(?=b)\"}", "$.pattern", "lookaround");
        schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}}", "JSON error at line 1, column 54");
        schema("{\"enum\":[\"a\", 1], \"type\":\"string\"}", "value 1 is not of the schema's type");
        schema("{\"type\":\"array\",\"minItems\":3,\"maxItems\":1}", "maxItems is below minItems");
        schema("[]", "must be an object or a boolean");
    }

    @Test
    void emptyChoiceListIsRefused() {
        refused(() -> Grammars.choice(java.util.List.of()), "at least one choice");
    }
}
