package dev.parley.inference.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parley.inference.testing.Shared;
import dev.parley.inference.testing.TestJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every render of the shared oracle (computed with Python jinja2 in the transformers configuration) must match byte for byte. */
class ChatTemplateOracleTest {

    /** jinja2's own errors are reported as "SomeError: detail"; the exact wording is Python's, so only failure is required. */
    private static final Pattern JINJA_EXCEPTION_NAME = Pattern.compile("^[A-Z][A-Za-z]*(Error|Exception): .*", Pattern.DOTALL);

    @TestFactory
    List<DynamicTest> everyOracleRender() throws Exception {
        Path casesFile = Shared.path("oracle/templates/cases.json");
        Map<String, Object> cases = TestJson.readMap(casesFile);
        Instant now = Instant.parse((String) cases.get("now"));
        @SuppressWarnings("unchecked")
        Map<String, List<Map<String, Object>>> conversations = (Map<String, List<Map<String, Object>>>) cases.get("conversations");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> templates = (List<Map<String, Object>>) cases.get("templates");

        List<DynamicTest> tests = new ArrayList<>();
        for (Map<String, Object> template : templates) {
            String file = (String) template.get("file");
            String source = Files.readString(casesFile.resolveSibling(file));
            String bos = (String) template.get("bos_token");
            String eos = (String) template.get("eos_token");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> renders = (List<Map<String, Object>>) template.get("renders");
            for (Map<String, Object> render : renders) {
                String conversation = (String) render.get("conversation");
                boolean addGenerationPrompt = (Boolean) render.get("add_generation_prompt");
                String name = template.get("name") + " | " + conversation + " | add_generation_prompt=" + addGenerationPrompt;
                List<Map<String, Object>> messages = conversations.get(conversation);
                tests.add(DynamicTest.dynamicTest(name, () -> {
                    if (render.containsKey("expected")) {
                        String actual = ChatTemplate.compile(source).render(messages, addGenerationPrompt, bos, eos, now, Map.of());
                        assertEquals(render.get("expected"), actual, name);
                    } else {
                        String expectedError = (String) render.get("expected_error");
                        TemplateException e = assertThrows(TemplateException.class,
                                () -> ChatTemplate.compile(source).render(messages, addGenerationPrompt, bos, eos, now, Map.of()), name);
                        if (!JINJA_EXCEPTION_NAME.matcher(expectedError).matches()) {
                            assertEquals(expectedError, e.getMessage(), name);
                        }
                    }
                }));
            }
        }
        return tests;
    }
}
