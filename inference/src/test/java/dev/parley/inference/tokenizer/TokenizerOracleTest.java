package dev.parley.inference.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.inference.testing.Shared;
import dev.parley.inference.testing.TestJson;
import io.micronaut.json.tree.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * llama.cpp's tokenizer test vectors (test-tokenizer-0: add_special = false, parse_special = false), one test per
 * case for each of the 12 vocabularies that have them, plus the full prompts of the oracle model runs (add_special = true).
 */
class TokenizerOracleTest {

    @TestFactory
    Stream<DynamicNode> llamaCppVectors() {
        return OracleVocab.WITH_VECTORS.stream().map(vocab -> DynamicContainer.dynamicContainer(vocab,
                OracleVocab.cases(vocab).stream().map(c -> DynamicTest.dynamicTest("#" + c.index() + " "
                        + OracleVocab.label(c.input()), () -> {
                    int[] actual = OracleVocab.tokenizer(vocab).encode(c.input(), false, false);
                    assertArrayEquals(c.expected(), actual, () -> vocab + " " + OracleVocab.label(c.input()));
                }))));
    }

    @TestFactory
    Stream<DynamicNode> fullPromptsOfOracleRuns() throws IOException {
        List<DynamicNode> nodes = new ArrayList<>();
        for (String run : List.of("llama-spm-q8_0", "llama3-bpe-f32", "qwen2-f32")) {
            JsonNode root = TestJson.read(Shared.path("oracle/expected/" + run + ".json"));
            Path model = Shared.path("oracle/models/" + run + ".gguf");
            List<DynamicTest> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("vocab facts", () -> {
                Tokenizer t = OracleVocab.tokenizer(model);
                assertEquals(root.get("n_vocab").getIntValue(), t.vocabSize());
                assertEquals(root.get("bos_id").getIntValue(), t.bosId());
                assertEquals(root.get("eos_id").getIntValue(), t.eosId());
                assertEquals(root.get("add_bos").getBooleanValue(), t.addBos());
            }));
            for (JsonNode prompt : root.get("prompts").values()) {
                String text = prompt.get("text").getStringValue();
                int[] expected = TestJson.ints(prompt.get("tokens"));
                tests.add(DynamicTest.dynamicTest(OracleVocab.label(text), () -> {
                    Tokenizer t = OracleVocab.tokenizer(model);
                    assertArrayEquals(expected, t.encode(text, true, false));
                    JsonNode pieces = prompt.get("token_pieces");
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(pieces.get(i).getStringValue(), t.decode(new int[] {expected[i]}), "piece of token " + expected[i]);
                    }
                }));
            }
            nodes.add(DynamicContainer.dynamicContainer(run, tests));
        }
        return nodes.stream();
    }

}
