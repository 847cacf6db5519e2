package dev.parley.inference.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.testing.TestJson;
import io.micronaut.json.tree.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1.1B-parameter model (TinyLlama's shape, Q8_0, written with the GGUF writer) generates in a JVM limited to a
 * 256 MB heap: the 1.2 GB of weights and the KV cache live off-heap.
 */
class OneBillionSmallHeapTest {
    @TempDir Path tmp;

    @Test
    void generatesWithA256MbHeap() throws Exception {
        SyntheticModel shape = SyntheticModel.oneBillion();
        assertTrue(shape.parameterCount() > 1_000_000_000L, "parameters: " + shape.parameterCount());
        Path model = shape.write(tmp.resolve("synthetic-1b.gguf"));
        assertTrue(Files.size(model) > 256L << 20 << 2, "the file is larger than four heaps");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx256m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ParleyCli.class.getName(),
                "generate", "--model", model.toString(), "--prompt", "hello world", "--max-tokens", "4",
                "--temperature", "0", "--ignore-eos", "--json");
        Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("stderr.txt").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "generation finished");
        String err = Files.readString(tmp.resolve("stderr.txt"));
        assertEquals(0, p.exitValue(), "exit code; stderr:\n" + err);
        JsonNode json = TestJson.parse(out);
        assertEquals(4, json.get("tokens").size(), out);
        assertTrue(json.get("prompt_tokens").size() >= 2, out);
        assertFalse(err.contains("OutOfMemoryError"), err);
    }
}
