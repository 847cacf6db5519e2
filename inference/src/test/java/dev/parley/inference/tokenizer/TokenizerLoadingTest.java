package dev.parley.inference.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufException;
import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufValueType;
import dev.parley.inference.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizers built from small hand-made vocab-only GGUFs: errors and llama.cpp's defaults. */
class TokenizerLoadingTest {
    @TempDir Path dir;

    private Tokenizer load(UnaryOperator<GgufWriter> metadata) {
        Path path = dir.resolve("vocab.gguf");
        metadata.apply(new GgufWriter().put("general.architecture", GgufValue.of("test"))).write(path);
        try (GgufFile file = GgufFile.open(path)) {
            return Tokenizer.fromGguf(file);
        }
    }

    private static GgufWriter bpe(GgufWriter w, String pre) {
        w.put("tokenizer.ggml.model", GgufValue.of("gpt2"))
                .put("tokenizer.ggml.tokens", GgufValue.strings("a", "b", "ab", "\u0120", "\u0120ab", "<|end|>"))
                .put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, 1, 1, 1, 1, 1, 1))
                .put("tokenizer.ggml.merges", GgufValue.strings("a b", "\u0120 ab"));
        return pre == null ? w : w.put("tokenizer.ggml.pre", GgufValue.of(pre));
    }

    private static String message(Runnable r) {
        return assertThrows(GgufException.class, r::run).getMessage();
    }

    @Test
    void unsupportedModelsAndPreTokenizersAreNamedInTheError() {
        String model = message(() -> load(w -> w.put("tokenizer.ggml.model", GgufValue.of("t5"))
                .put("tokenizer.ggml.tokens", GgufValue.strings("a"))));
        assertTrue(model.contains("unsupported tokenizer") && model.contains("'t5'") && model.contains("vocab.gguf"), model);
        String pre = message(() -> load(w -> bpe(w, "chameleon")));
        assertTrue(pre.contains("pre-tokenizer 'chameleon'"), pre);
        String missing = message(() -> load(w -> w.put("x", GgufValue.of("y"))));
        assertTrue(missing.contains("tokenizer.ggml.model"), missing);
    }

    @Test
    void bpeWithoutPreKeyUsesTheDefaultRegexesAndLlamaCppDefaults() {
        Tokenizer t = load(w -> bpe(w, null));
        assertArrayEquals(new int[] {2, 4}, t.encode("ab ab", false, false));
        assertEquals(-1, t.bosId()); // llama.cpp's BPE default 11 is outside this 6-token vocab
        assertEquals(false, t.addBos());
        assertTrue(t.isEndOfGeneration(5)); // "<|end|>" by text
        assertEquals("<|end|>", t.decode(new int[] {5})); // forced to CONTROL, rendered as text
        assertArrayEquals(new int[] {5}, t.encode("<|end|>", false, true));
    }

    @Test
    void addBosKeyOverridesThePreTokenizerDefault() {
        Tokenizer t = load(w -> bpe(w, "llama-bpe").put("tokenizer.ggml.bos_token_id", GgufValue.u32(0))
                .put("tokenizer.ggml.add_bos_token", GgufValue.bool(false)));
        assertEquals(false, t.addBos());
        assertEquals(0, t.bosId());
        Tokenizer byDefault = load(w -> bpe(w, "llama-bpe").put("tokenizer.ggml.bos_token_id", GgufValue.u32(0)));
        assertArrayEquals(new int[] {0, 2}, byDefault.encode("ab", true, false));
    }
}
