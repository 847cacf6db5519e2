package dev.parley.inference.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.inference.testing.Shared;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI forms external checks use, run through picocli exactly as the launcher runs them. */
class CliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    record Run(int exit, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            var cmd = ParleyCli.commandLine();
            cmd.setOut(new java.io.PrintWriter(System.out, true));
            cmd.setErr(new java.io.PrintWriter(System.err, true));
            int exit = cmd.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static String stories() {
        return Shared.path("models/stories260K/stories260K.gguf").toString();
    }

    @Test
    void version() {
        Run r = run("--version");
        assertEquals(0, r.exit);
        assertTrue(r.out.startsWith("parley "), r.out);
    }

    @Test
    void infoJson() throws Exception {
        Run r = run("info", stories(), "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode info = JSON.readTree(r.out);
        assertEquals("llama", info.get("architecture").asText());
        assertEquals(5, info.get("block_count").asInt());
        assertEquals(512, info.get("vocabulary").get("size").asInt());
        assertEquals(48, info.get("tensor_types").get("F32").asInt());
    }

    @Test
    void infoSystemReportsTheVectorWidthCoresAndBandwidth() throws Exception {
        Run r = run("info", "--system", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode info = JSON.readTree(r.out);
        JsonNode vector = info.get("vector_width");
        int preferred = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertEquals(preferred, vector.get("jvm_preferred_bits").asInt(), r.out);
        assertEquals(preferred >= 128, vector.get("native").asBoolean(), r.out);
        if (preferred >= 128) assertEquals(Math.min(512, preferred), vector.get("bits").asInt(), r.out);
        assertEquals(Runtime.getRuntime().availableProcessors(), info.get("cores").asInt());
        assertTrue(info.get("read_bandwidth_gbs").asDouble() > 0, r.out);
        Run text = run("info", "--system");
        assertTrue(text.out.contains("float lanes") || text.out.contains("scalar kernels"), text.out);
        assertEquals(2, run("info").exit, "neither a model nor --system");
        assertEquals(2, run("info", stories(), "--system").exit, "both");
    }

    @Test
    void tokenizeTextAndBatch() throws Exception {
        Run r = run("tokenize", "--model", stories(), "--text", "Once upon a time", "--json");
        assertEquals(0, r.exit, r.err);
        assertEquals("{\"ids\":[1,403,407,261,378]}", r.out.trim());
        Run noBos = run("tokenize", "--model", stories(), "--text", "Once upon a time", "--no-bos", "--json");
        assertEquals("{\"ids\":[403,407,261,378]}", noBos.out.trim());

        Path batch = tmp.resolve("in.jsonl");
        Files.writeString(batch, "{\"text\":\"Once upon a time\"}\n{\"text\":\"\"}\n");
        Run b = run("tokenize", "--model", stories(), "--batch", batch.toString(), "--no-bos", "--json");
        assertEquals(0, b.exit, b.err);
        assertEquals(List.of("{\"ids\":[403,407,261,378]}", "{\"ids\":[]}"), b.out.lines().toList());
    }

    @Test
    void tokenizeParseSpecialSwitch() {
        String qwen = Shared.path("oracle/vocab/ggml-vocab-qwen2.gguf").toString();
        Run special = run("tokenize", "--model", qwen, "--text", "<|im_start|>", "--json");
        assertEquals("{\"ids\":[151644]}", special.out.trim(), special.err);
        Run plain = run("tokenize", "--model", qwen, "--text", "<|im_start|>", "--no-parse-special", "--json");
        assertNotEquals(special.out.trim(), plain.out.trim());
        assertTrue(plain.out.split(",").length > 2, plain.out);
    }

    @Test
    void templateBatchReproducesTheOracle() throws Exception {
        Path dir = Shared.path("oracle/templates");
        JsonNode cases = JSON.readTree(dir.resolve("cases.json").toFile());
        int checked = 0;
        for (JsonNode tpl : cases.get("templates")) {
            List<String> lines = new ArrayList<>();
            List<JsonNode> renders = new ArrayList<>();
            for (JsonNode render : tpl.get("renders")) {
                ObjectNode line = JSON.createObjectNode();
                line.set("messages", cases.get("conversations").get(render.get("conversation").asText()));
                line.put("add_generation_prompt", render.get("add_generation_prompt").asBoolean());
                line.put("bos_token", tpl.get("bos_token").asText());
                line.put("eos_token", tpl.get("eos_token").asText());
                line.put("now", cases.get("now").asText());
                lines.add(JSON.writeValueAsString(line));
                renders.add(render);
            }
            Path batch = tmp.resolve("batch.jsonl");
            Files.write(batch, lines);
            Run r = run("template", "--template", dir.resolve(tpl.get("file").asText()).toString(), "--batch", batch.toString());
            assertEquals(0, r.exit, r.err);
            List<String> out = r.out.lines().toList();
            assertEquals(renders.size(), out.size(), tpl.get("name").asText());
            for (int i = 0; i < out.size(); i++) {
                JsonNode got = JSON.readTree(out.get(i));
                JsonNode want = renders.get(i);
                String what = tpl.get("name").asText() + " / " + want.get("conversation").asText();
                if (want.has("expected")) {
                    assertEquals(want.get("expected").asText(), got.path("text").asText(null), what);
                } else {
                    assertTrue(got.has("error"), what + " must fail");
                    String expected = want.get("expected_error").asText();
                    if (!expected.matches("^[A-Za-z]+Error: .*")) assertEquals(expected, got.get("error").asText(), what);
                }
                checked++;
            }
        }
        assertTrue(checked >= 300, "rendered " + checked);
    }

    @Test
    void templateSingleRenderAndRefusal() throws Exception {
        Path dir = Shared.path("oracle/templates");
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]");
        Run gemma = run("template", "--template", dir.resolve("google-gemma-7b-it-6e13b5.jinja").toString(), "--messages", messages.toString(), "--bos", "<bos>");
        assertEquals(1, gemma.exit, gemma.out);
        assertEquals("System role not supported", gemma.err.trim());

        Run chatml = run("template", "--template", Shared.path("oracle/vocab/ggml-vocab-qwen2.gguf").toString(), "--messages", messages.toString(), "--add-generation-prompt");
        assertEquals(0, chatml.exit, chatml.err);
        assertTrue(chatml.out.contains("<|im_start|>user\nHi<|im_end|>"), chatml.out);
        assertTrue(chatml.out.endsWith("<|im_start|>assistant\n"), chatml.out);
    }

    @Test
    void logitsMatchTheModel() throws Exception {
        Run r = run("logits", "--model", stories(), "--tokens", "1,403,407", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode logits = JSON.readTree(r.out).get("logits");
        assertEquals(512, logits.size());
        int best = 0;
        for (int i = 1; i < logits.size(); i++) if (logits.get(i).asDouble() > logits.get(best).asDouble()) best = i;
        assertEquals(261, best, "the golden continuation of 1 403 407 is 261");
    }

    @Test
    void generateGreedyJsonMatchesGolden() throws Exception {
        Run r = run("generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode out = JSON.readTree(r.out);
        assertEquals("[1,403,407,261,378]", out.get("prompt_tokens").toString());
        assertEquals("[432,383,286,261,376,298,315,421]", out.get("tokens").toString());
        assertTrue(out.get("text").asText().startsWith(", there was a little girl"), out.toString());
        assertEquals("length", out.get("finish_reason").asText());
        // without --json the text streams to stdout
        Run plain = run("generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
        assertEquals(out.get("text").asText(), plain.out.stripTrailing());
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        String[] args = {"generate", "--model", stories(), "--prompt", "Once", "--max-tokens", "20", "--temperature", "1.0", "--seed", "7", "--json"};
        assertEquals(JSON.readTree(run(args).out).get("tokens"), JSON.readTree(run(args).out).get("tokens"));
    }

    @Test
    void chatTemplateRefusalIsAClearError() throws Exception {
        Path model = tmp.resolve("with-template.gguf");
        String template = Files.readString(Shared.path("oracle/templates/google-gemma-7b-it-6e13b5.jinja"));
        try (var f = dev.parley.inference.gguf.GgufFile.open(Path.of(stories()))) {
            var w = new dev.parley.inference.gguf.GgufWriter().putAll(f.metadata())
                    .put("tokenizer.chat_template", dev.parley.inference.gguf.GgufValue.of(template));
            for (var t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.shape(), seg -> seg.copyFrom(f.tensorData(t)));
            w.write(model);
        }
        Run refused = run("generate", "--model", model.toString(), "--prompt", "Hi", "--chat", "--system", "Be brief", "--max-tokens", "4");
        assertEquals(2, refused.exit, refused.err);
        assertEquals("parley: chat template: System role not supported", refused.err.strip());
        Run ok = run("generate", "--model", model.toString(), "--prompt", "Hi", "--chat", "--max-tokens", "4", "--temperature", "0", "--json");
        assertEquals(0, ok.exit, ok.err);
        assertEquals(4, JSON.readTree(ok.out).get("tokens").size());
    }

    @Test
    void badInputIsOneLineAndExitCode2() throws Exception {
        Path junk = tmp.resolve("junk.gguf");
        Files.writeString(junk, "this is not a model");
        Run r = run("info", junk.toString());
        assertEquals(2, r.exit);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.contains(junk.toString()) && r.err.contains("not a GGUF file"), r.err);

        Run missing = run("generate", "--model", tmp.resolve("nope.gguf").toString(), "--prompt", "x");
        assertEquals(2, missing.exit);
        assertTrue(missing.err.contains("no such file"), missing.err);

        Run badToken = run("logits", "--model", stories(), "--tokens", "1,99999", "--json");
        assertEquals(2, badToken.exit);
        assertTrue(badToken.err.contains("token id 99999 out of range"), badToken.err);
    }
}
