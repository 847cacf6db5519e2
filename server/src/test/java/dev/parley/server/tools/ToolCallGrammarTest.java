package dev.parley.server.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.constrain.CompiledGrammar;
import dev.parley.inference.constrain.Grammars;
import dev.parley.server.chat.ChatException;
import io.vertx.core.json.JsonArray;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grammar of forced calls accepts exactly the calls of the offered functions, in each family's syntax. */
class ToolCallGrammarTest {
    private static final Object TOOLS = new JsonArray("""
            [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{
              "city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}}},
             {"type":"function","function":{"name":"add","parameters":{"type":"object","properties":{
              "a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}}]""").getList();

    /** Through the GBNF text the engine gets, checked to be the same grammar as the IR it was written from. */
    private static CompiledGrammar grammar(ToolCallFormat format, Object choice, boolean parallel) {
        ToolRequest request = ToolRequest.parse(TOOLS, choice, parallel, "");
        return Grammars.gbnf(ToolCallGrammar.gbnf(format, request)).compile();
    }

    @Test void requiredAcceptsCallsOfAnyFunctionInTheFamilySyntax() {
        CompiledGrammar hermes = grammar(ToolCallFormat.HERMES, "required", true);
        String weather = "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}";
        String add = "{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": -2}}";
        assertTrue(hermes.matches("<tool_call>\n" + weather + "\n</tool_call>"));
        assertTrue(hermes.matches("<tool_call>\n" + weather + "\n</tool_call>\n<tool_call>\n" + add + "\n</tool_call>"));
        assertFalse(hermes.matches("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>"), "b is required");
        assertFalse(hermes.matches("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"kelvin\"}}\n</tool_call>"));
        assertFalse(hermes.matches("<tool_call>\n{\"name\": \"rm\", \"arguments\": {}}\n</tool_call>"));
        assertFalse(hermes.matches("Sure! <tool_call>\n" + add + "\n</tool_call>"));

        CompiledGrammar single = grammar(ToolCallFormat.HERMES, "required", false);
        assertFalse(single.matches("<tool_call>\n" + add + "\n</tool_call>\n<tool_call>\n" + add + "\n</tool_call>"),
                "parallel_tool_calls false: one call");

        CompiledGrammar llama = grammar(ToolCallFormat.LLAMA3_JSON, "required", false);
        assertTrue(llama.matches("{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}"));
        CompiledGrammar mistral = grammar(ToolCallFormat.MISTRAL, "required", true);
        assertTrue(mistral.matches("[" + add + ", " + weather + "]"));
    }

    @Test void aNamedFunctionAllowsOnlyThatOne() {
        CompiledGrammar named = grammar(ToolCallFormat.HERMES, Map.of("type", "function", "function", Map.of("name", "add")), true);
        assertTrue(named.matches("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>"));
        assertFalse(named.matches("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"P\", \"unit\": \"celsius\"}}\n</tool_call>"));
    }

    @Test void aSchemaTheConstraintCannotExpressIsABadRequestNamingTheTool() {
        Object tools = List.of(Map.of("type", "function", "function", Map.of("name", "f", "parameters",
                Map.of("type", "object", "properties", Map.of("n", Map.of("type", "integer", "minimum", 3))))));
        ChatException e = assertThrows(ChatException.class,
                () -> ToolCallGrammar.of(ToolCallFormat.HERMES, ToolRequest.parse(tools, "required", true, "")));
        assertTrue(e.getMessage().startsWith("tools[0].function.parameters: unsupported JSON Schema keyword 'minimum'"), e.getMessage());
    }

    @Test void everyForcedCallParses() {
        for (ToolCallFormat format : ToolCallFormat.values()) {
            String text = format.open + "{\"name\": \"add\", \"" + format.argumentsKey + "\": {\"a\": 1, \"b\": 2}}" + format.between()
                    + "{\"name\": \"get_weather\", \"" + format.argumentsKey + "\": {\"city\": \"Oslo\", \"unit\": \"celsius\"}}" + format.close;
            assertTrue(grammar(format, "required", true).matches(text), format + ": " + text);
            ToolCallExtractor x = new ToolCallExtractor(format, java.util.Set.of("add", "get_weather"));
            x.accept(text);
            x.finish();
            assertEquals(List.of("add", "get_weather"), x.calls().stream().map(c -> c.name()).toList(), format.toString());
            assertEquals("", x.content().strip(), format.toString());
        }
    }

    @Test void autoAllowsTextButConstrainsAnOpenedCall() {
        CompiledGrammar hermes = grammar(ToolCallFormat.HERMES, "auto", true);
        String add = "{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}";
        assertTrue(hermes.matches(""));
        assertTrue(hermes.matches("It is sunny in <b>Paris</b> <tool_ca <<tool_cal"));
        assertTrue(hermes.matches("Let me add.<tool_call>\n" + add + "\n</tool_call>"));
        assertTrue(hermes.matches("<<tool_call>\n" + add + "\n</tool_call>"));
        assertFalse(hermes.matches("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": \"x\"}}\n</tool_call>"));
        assertFalse(hermes.matches("text <tool_call> more text"));
        assertFalse(hermes.matches("<tool_call>\n" + add + "\n</tool_call> and text after"));

        CompiledGrammar llama = grammar(ToolCallFormat.LLAMA3_JSON, "auto", false);
        assertTrue(llama.matches("The answer is {a: 1}."));
        assertTrue(llama.matches("  \n{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}"));
        assertFalse(llama.matches("{\"answer\": 42}"));
        assertTrue(llama.matches(""));
    }
}
