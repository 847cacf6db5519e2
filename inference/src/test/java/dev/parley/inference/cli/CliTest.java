package dev.parley.inference.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.model.DefaultModel;
import dev.parley.inference.testing.Shared;
import dev.parley.inference.testing.TestJson;
import io.micronaut.json.tree.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI forms external checks use, run through picocli exactly as the launcher runs them. */
class CliTest {
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
        JsonNode info = TestJson.parse(r.out);
        assertEquals("llama", info.get("architecture").getStringValue());
        assertEquals(5, info.get("block_count").getIntValue());
        assertEquals(512, info.get("vocabulary").get("size").getIntValue());
        assertEquals(48, info.get("tensor_types").get("F32").getIntValue());
    }

    @Test
    void infoSystemReportsTheVectorWidthCoresAndBandwidth() throws Exception {
        Run r = run("info", "--system", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode info = TestJson.parse(r.out);
        JsonNode vector = info.get("vector_width");
        int preferred = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        assertEquals(preferred, vector.get("jvm_preferred_bits").getIntValue(), r.out);
        assertEquals(preferred >= 128, vector.get("native").getBooleanValue(), r.out);
        if (preferred >= 128) assertEquals(Math.min(512, preferred), vector.get("bits").getIntValue(), r.out);
        assertEquals(Runtime.getRuntime().availableProcessors(), info.get("cores").getIntValue());
        assertTrue(info.get("read_bandwidth_gbs").getDoubleValue() > 0, r.out);
        assertTrue(info.get("fma_peak_gflops").getDoubleValue() > 0, r.out);
        String probe = info.get("fma_peak_probe").getStringValue();
        assertTrue(probe.contains(info.get("compute_threads").getIntValue() + " threads"), r.out);
        assertTrue(probe.contains(vector.get("native").getBooleanValue() ? vector.get("bits").getIntValue() + "-bit vectors" : "scalar"), r.out);
        assertFalse(r.err.contains("Exception"), "every probe thread reads the buffer: " + r.err);
        Run text = run("info", "--system");
        assertTrue(text.out.contains("float lanes") || text.out.contains("scalar kernels"), text.out);
        assertTrue(text.out.matches("(?s).*fma_peak_gflops: [0-9.]+\\n.*"), text.out);
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
        JsonNode cases = TestJson.read(dir.resolve("cases.json"));
        int checked = 0;
        for (JsonNode tpl : cases.get("templates").values()) {
            List<String> lines = new ArrayList<>();
            List<JsonNode> renders = new ArrayList<>();
            for (JsonNode render : tpl.get("renders").values()) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("messages", cases.get("conversations").get(render.get("conversation").getStringValue()));
                line.put("add_generation_prompt", render.get("add_generation_prompt").getBooleanValue());
                line.put("bos_token", tpl.get("bos_token").getStringValue());
                line.put("eos_token", tpl.get("eos_token").getStringValue());
                line.put("now", cases.get("now").getStringValue());
                lines.add(TestJson.write(line));
                renders.add(render);
            }
            Path batch = tmp.resolve("batch.jsonl");
            Files.write(batch, lines);
            Run r = run("template", "--template", dir.resolve(tpl.get("file").getStringValue()).toString(), "--batch", batch.toString());
            assertEquals(0, r.exit, r.err);
            List<String> out = r.out.lines().toList();
            assertEquals(renders.size(), out.size(), tpl.get("name").getStringValue());
            for (int i = 0; i < out.size(); i++) {
                JsonNode got = TestJson.parse(out.get(i));
                JsonNode want = renders.get(i);
                String what = tpl.get("name").getStringValue() + " / " + want.get("conversation").getStringValue();
                if (want.get("expected") != null) {
                    assertEquals(want.get("expected").getStringValue(), text(got), what);
                } else {
                    assertTrue(got.get("error") != null, what + " must fail");
                    String expected = want.get("expected_error").getStringValue();
                    if (!expected.matches("^[A-Za-z]+Error: .*")) assertEquals(expected, got.get("error").getStringValue(), what);
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
        Run gemma = run("template", "--template", dir.resolve("google-gemma-7b-it-6e13b5.jinja").toString(), "--messages",
                messages.toString(), "--bos", "<bos>");
        assertEquals(1, gemma.exit, gemma.out);
        assertEquals("System role not supported", gemma.err.trim());

        Run chatml = run("template", "--template", Shared.path("oracle/vocab/ggml-vocab-qwen2.gguf").toString(), "--messages",
                messages.toString(), "--add-generation-prompt");
        assertEquals(0, chatml.exit, chatml.err);
        assertTrue(chatml.out.contains("<|im_start|>user\nHi<|im_end|>"), chatml.out);
        assertTrue(chatml.out.endsWith("<|im_start|>assistant\n"), chatml.out);
    }

    @Test
    void logitsMatchTheModel() throws Exception {
        Run r = run("logits", "--model", stories(), "--tokens", "1,403,407", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode logits = TestJson.parse(r.out).get("logits");
        assertEquals(512, logits.size());
        int best = 0;
        for (int i = 1; i < logits.size(); i++) if (logits.get(i).getDoubleValue() > logits.get(best).getDoubleValue()) best = i;
        assertEquals(261, best, "the golden continuation of 1 403 407 is 261");
    }

    @Test
    void generateGreedyJsonMatchesGolden() throws Exception {
        Run r = run("generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0", "--json");
        assertEquals(0, r.exit, r.err);
        JsonNode out = TestJson.parse(r.out);
        assertEquals("[1,403,407,261,378]", TestJson.write(out.get("prompt_tokens")));
        assertEquals("[432,383,286,261,376,298,315,421]", TestJson.write(out.get("tokens")));
        assertTrue(out.get("text").getStringValue().startsWith(", there was a little girl"), TestJson.write(out));
        assertEquals("length", out.get("finish_reason").getStringValue());
        // without --json the text streams to stdout
        Run plain = run("generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "8", "--temperature", "0");
        assertEquals(out.get("text").getStringValue(), plain.out.stripTrailing());
    }

    @Test
    void commandsThatTakeAModelDefaultToTheBuiltInOneAsServeDoes() throws Exception {
        String builtIn = DefaultModel.path().toString();
        String[][] withoutModel = {
            {"generate", "--prompt", "In the beginning", "--max-tokens", "4", "--temperature", "0", "--json"},
            {"tokenize", "--text", "In the beginning", "--json"},
            {"logits", "--tokens", "1,2,3", "--json"},
        };
        for (String[] args : withoutModel) {
            Run implicit = run(args);
            assertEquals(0, implicit.exit, () -> String.join(" ", args) + ": " + implicit.err);
            assertTrue(implicit.err.contains("no --model given; using the built-in " + DefaultModel.NAME), implicit.err);
            String[] explicit = new String[args.length + 2];
            explicit[0] = args[0];
            explicit[1] = "--model";
            explicit[2] = builtIn;
            System.arraycopy(args, 1, explicit, 3, args.length - 1);
            Run given = run(explicit);
            assertEquals(0, given.exit, given.err);
            if (args[0].equals("logits")) { // the kernels' rounding may differ once the JIT has compiled them
                double[] want = numbers(TestJson.parse(given.out).get("logits")), got = numbers(TestJson.parse(implicit.out).get("logits"));
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-3, "logit " + i);
            } else {
                assertEquals(given.out, implicit.out, "the same output as with --model " + builtIn);
            }
        }
    }

    /** The "text" member of a template line's output, or null when it has none (an error line). */
    private static String text(JsonNode line) {
        JsonNode text = line.get("text");
        return text == null ? null : text.getStringValue();
    }

    private static double[] numbers(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).getDoubleValue();
        return out;
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        String[] args = {"generate", "--model", stories(), "--prompt", "Once", "--max-tokens", "20", "--temperature", "1.0", "--seed",
                "7", "--json"};
        assertEquals(TestJson.write(TestJson.parse(run(args).out).get("tokens")),
                TestJson.write(TestJson.parse(run(args).out).get("tokens")));
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
        Run ok = run("generate", "--model", model.toString(), "--prompt", "Hi", "--chat", "--max-tokens", "4", "--temperature", "0",
                "--json");
        assertEquals(0, ok.exit, ok.err);
        assertEquals(4, TestJson.parse(ok.out).get("tokens").size());
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
