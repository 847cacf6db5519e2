package dev.parley.inference.tokenizer;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.testing.Shared;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** llama.cpp's vocab test files in oracle/vocab: the vocab GGUFs and their .inp/.out vectors (see README.md there). */
final class OracleVocab {
    static final List<String> WITH_VECTORS = List.of("llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "deepseek-llm",
            "deepseek-coder", "falcon", "mpt", "refact", "starcoder", "bert-bge");
    static final List<String> SPM = List.of("llama-spm", "phi-3");
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<Path, Tokenizer> LOADED = new ConcurrentHashMap<>();

    record Case(int index, String input, int[] expected) {}

    private OracleVocab() {}

    static Path gguf(String vocab) {
        return Shared.path("oracle/vocab/ggml-vocab-" + vocab + ".gguf");
    }

    /** Loaded once per file and shared by the tests; tokenizers keep no reference to the mapping. */
    static Tokenizer tokenizer(Path path) {
        return LOADED.computeIfAbsent(path, p -> {
            try (GgufFile file = GgufFile.open(p)) {
                return Tokenizer.fromGguf(file);
            }
        });
    }

    static Tokenizer tokenizer(String vocab) {
        return tokenizer(gguf(vocab));
    }

    /** The test strings, cut exactly at every separator (the file ends with one; there is no trailing empty test). */
    static List<String> inputs(String vocab) {
        String all = read(Path.of(gguf(vocab) + ".inp"));
        List<String> inputs = new ArrayList<>();
        int from = 0;
        for (int at = all.indexOf(SEPARATOR); at >= 0; at = all.indexOf(SEPARATOR, from)) {
            inputs.add(all.substring(from, at));
            from = at + SEPARATOR.length();
        }
        return inputs;
    }

    static List<Case> cases(String vocab) {
        List<String> inputs = inputs(vocab);
        List<String> lines = read(Path.of(gguf(vocab) + ".out")).lines().toList();
        if (lines.size() != inputs.size()) throw new IllegalStateException(vocab + ": " + inputs.size() + " inputs but " + lines.size() + " expected lines");
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String line = lines.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(i, inputs.get(i), ids));
        }
        return cases;
    }

    /** A short printable label for a test input. */
    static String label(String input) {
        String escaped = input.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return '"' + (escaped.length() > 40 ? escaped.substring(0, 40) + "…" : escaped) + '"';
    }

    private static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
