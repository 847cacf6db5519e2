package dev.parley.inference.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.testing.TestJson;
import io.micronaut.json.tree.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parley forge} writes loadable, deterministic models of any shape; {@code parley bench --json} measures them. */
class ForgeAndBenchTest {
    @TempDir Path tmp;

    private CliTest.Run forge(Path out, String type, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("forge", "--layers", "2", "--kv-heads", "2",
                "--ffn", "512", "--vocab", "600", "--context", "256", "--type", type, "--out", out.toString()));
        args.addAll(List.of(more));
        if (!args.contains("--dim")) args.addAll(List.of("--dim", "256"));
        if (!args.contains("--heads")) args.addAll(List.of("--heads", "4"));
        return CliTest.run(args.toArray(String[]::new));
    }

    @Test
    void q4_0KeepsTheTiedOutputInQ6_KAndTheSameSeedWritesTheSameBytes() throws Exception {
        Path a = tmp.resolve("a.gguf"), b = tmp.resolve("b.gguf"), c = tmp.resolve("c.gguf");
        CliTest.Run r = forge(a, "Q4_0", "--tied");
        assertEquals(0, r.exit(), r.err());
        assertEquals(0, forge(b, "Q4_0", "--tied").exit());
        assertEquals(0, forge(c, "Q4_0", "--tied", "--seed", "7").exit());
        assertEquals(-1, Files.mismatch(a, b), "same seed, same bytes");
        assertNotEquals(-1, Files.mismatch(a, c), "another seed, other weights");
        try (GgufFile f = GgufFile.open(a)) {
            assertEquals(GgmlType.Q6_K, f.tensors().get("token_embd.weight").type(),
                    "tied embedding = output: Q6_K as llama-quantize keeps it");
            assertEquals(GgmlType.Q4_0, f.tensors().get("blk.1.ffn_down.weight").type());
            assertFalse(f.tensors().containsKey("output.weight"));
            assertEquals(2L, ((Number) f.metadata().get("general.file_type").value()).longValue(), "MOSTLY_Q4_0");
            assertEquals(64L, ((Number) f.metadata().get("llama.rope.dimension_count").value()).longValue());
        }
        JsonNode info = TestJson.parse(CliTest.run("info", a.toString(), "--json").out());
        assertTrue(info.get("tied_embeddings").getBooleanValue());
        assertEquals(256 * 600 + 256 + 2 * (2 * 256 + 2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 512),
                info.get("parameters").getLongValue());
        // loadable and finite: greedy generation runs end to end
        CliTest.Run g = CliTest.run("generate", "--model", a.toString(), "--prompt", "hello", "--max-tokens", "5", "--temperature",
                "0", "--ignore-eos", "--json");
        assertEquals(0, g.exit(), g.err());
        assertEquals(5, TestJson.parse(g.out()).get("tokens").size());
    }

    @Test
    void q8_0UntiedHasItsOwnOutputMatrix() throws Exception {
        Path a = tmp.resolve("q8.gguf");
        assertEquals(0, forge(a, "Q8_0").exit());
        try (GgufFile f = GgufFile.open(a)) {
            assertEquals(GgmlType.Q8_0, f.tensors().get("output.weight").type());
            assertEquals(GgmlType.Q8_0, f.tensors().get("token_embd.weight").type());
        }
    }

    @Test
    void impossibleShapesAreRefusedClearly() {
        CliTest.Run r = forge(tmp.resolve("x.gguf"), "Q4_0", "--heads", "5");  // 256 / 5
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not a multiple of heads"), r.err());
        r = CliTest.run("forge", "--dim", "96", "--layers", "1", "--heads", "3", "--ffn", "96", "--vocab", "600", "--type", "Q4_0",
                "--out", tmp.resolve("y.gguf").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("multiples of 256"), "Q6_K output needs 256-wide rows: " + r.err());
        r = forge(tmp.resolve("z.gguf"), "Q5_K");
        assertEquals(2, r.exit());
        assertFalse(Files.exists(tmp.resolve("z.gguf")));
    }

    /** bench --n: n answers as one request compute the prompt once and hold fewer KV blocks than n separate requests. */
    @Test
    void benchNComparesOneRequestWithSeparateOnes() throws Exception {
        Path a = tmp.resolve("n.gguf");
        assertEquals(0, forge(a, "Q8_0").exit());
        CliTest.Run r = CliTest.run("bench", "--model", a.toString(), "--n", "3", "--prompt-tokens", "40", "--gen-tokens", "5",
                "--rounds", "1", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = TestJson.parse(r.out());
        JsonNode one = j.get("one_request"), separate = j.get("separate_requests");
        // each answer's first token comes from the prompt's last row, then 4 decode rows
        assertEquals(40 + 3 * 4, one.get("rows_computed").getLongValue(), r.out());
        assertEquals(3 * 40 + 3 * 4, separate.get("rows_computed").getLongValue(), r.out());
        assertTrue(one.get("peak_kv_blocks").getIntValue() < separate.get("peak_kv_blocks").getIntValue(), r.out());
        assertEquals(2, CliTest.run("bench", "--model", a.toString(), "--n", "0").exit());
    }

    @Test
    void benchJsonReportsTheIssuesFields() throws Exception {
        Path a = tmp.resolve("b.gguf");
        assertEquals(0, forge(a, "Q8_0").exit());
        CliTest.Run r = CliTest.run("bench", "--model", a.toString(), "--prompt-tokens", "20", "--gen-tokens", "3", "--parallel", "3",
                "--rounds", "1", "--chunk", "8", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = TestJson.parse(r.out());
        for (String k : List.of("prefill_tokens_per_s", "decode_tokens_per_s", "aggregate_decode_tokens_per_s", "memory_read_gbs")) {
            assertTrue(j.get(k).getDoubleValue() > 0, k + " in " + r.out());
        }
        assertEquals(3, j.get("parallel").getIntValue());
        assertEquals(20, j.get("prompt_tokens").getIntValue());
        // every multiplied matrix once: the layers' seven and the untied output, all Q8_0 (34 bytes per 32 values)
        long layerValues = 2L * 256 * 256 + 2L * 256 * 128 + 3L * 256 * 512;
        assertEquals((2 * layerValues + 600L * 256) / 32 * 34, j.get("weights_bytes").getLongValue());
        assertEquals(j.get("aggregate_decode_tokens_per_s").getDoubleValue(), j.get("aggregate_decode_by_batch").get("3").getDoubleValue());
        JsonNode vector = j.get("vector");
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize(), vector.get("jvm_preferred_bits").getIntValue(), r.out());
        assertEquals(vector.get("bits").getIntValue() / 32, vector.get("float_lanes").getIntValue(), r.out());

        // GFLOP/s from the shapes: 2 FLOP per multiply-add of the layer matrices (every row), the output (rows with
        // logits: one per prefill chunk of 8, every decode row) and attention (2 x 4 heads x 64 per attended position)
        double peak = j.get("fma_peak_gflops").getDoubleValue();
        assertTrue(peak > 0, r.out());
        long outputValues = 600L * 256, attentionPerPosition = 2L * 2 * 4 * 64;
        long prefillMacs = 20 * 2 * layerValues + 3 * outputValues + attentionPerPosition * (20 * 21 / 2); // positions 0-19
        assertFlops(prefillMacs / 20.0, j.get("prefill_tokens_per_s").getDoubleValue(), j.get("prefill_gflops").getDoubleValue(), r.out());
        // decode rows run at positions 8-10 (4 prompt rows, 4 untimed steps), so attend to 9-11 positions
        double decodeMacs = 2 * layerValues + outputValues + attentionPerPosition * (9 + 10 + 11) / 3.0;
        double aggregate = j.get("aggregate_decode_gflops").getDoubleValue();
        assertFlops(decodeMacs, j.get("aggregate_decode_tokens_per_s").getDoubleValue(), aggregate, r.out());
        assertEquals(aggregate, j.get("decode_gflops_by_batch").get("3").getDoubleValue(), r.out());
        assertFlops(decodeMacs, j.get("decode_tokens_per_s").getDoubleValue(), j.get("decode_gflops_by_batch").get("1").getDoubleValue(),
                r.out());
        // fractions of the peak, to 3 decimals, of the GFLOP/s before their rounding to 0.1
        assertFraction(j.get("prefill_gflops").getDoubleValue() / peak, 0.05 / peak, j.get("prefill_fma_fraction").getDoubleValue(), r.out());
        assertFraction(aggregate / peak, 0.05 / peak, j.get("aggregate_decode_fma_fraction").getDoubleValue(), r.out());
        assertEquals(j.get("aggregate_decode_fma_fraction").getDoubleValue(), j.get("decode_fma_fraction_by_batch").get("3").getDoubleValue());
        assertTrue(j.get("flops_counted").getStringValue().contains("attention"), r.out());
    }

    /** GFLOP/s as reported (to 0.1) against tokens/s (to 0.1) times 2 FLOP per multiply-add. */
    private static void assertFlops(double macsPerToken, double tokensPerSecond, double gflops, String out) {
        double expected = tokensPerSecond * 2 * macsPerToken / 1e9, slack = 0.05 + 0.05 * 2 * macsPerToken / 1e9 + 1e-9;
        assertEquals(expected, gflops, slack, out);
    }

    private static void assertFraction(double expected, double slack, double fraction, String out) {
        assertEquals(expected, fraction, slack + 0.0005 + 1e-9, out);
    }

    /** The text form prints what the JSON holds: prefill and decode GFLOP/s as fractions of the FMA peak, and the peak. */
    @Test
    void benchTextReportsFlopsAgainstThePeak() throws Exception {
        Path a = tmp.resolve("t.gguf");
        assertEquals(0, forge(a, "Q8_0").exit());
        CliTest.Run r = CliTest.run("bench", "--model", a.toString(), "--prompt-tokens", "8", "--gen-tokens", "2", "--rounds", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*prefill: [0-9.]+ GFLOP/s, [0-9.]+ of the FMA peak.*"), r.out());
        assertTrue(r.out().matches("(?s).*decode batch 1: .* [0-9.]+ GFLOP/s, [0-9.]+ of the FMA peak.*"), r.out());
        assertTrue(r.out().matches("(?s).*FMA peak: [0-9.]+ GFLOP/s f32 FMA \\(\\d+ threads, .*"), r.out());
        assertTrue(r.out().matches("(?s).*read bandwidth .*: [0-9.]+ GB/s.*"), r.out());
    }

    @Test
    void benchTimesDecodeUnderAJsonSchemaAndRefusesABadOne() throws Exception {
        Path a = tmp.resolve("c.gguf");
        assertEquals(0, forge(a, "Q8_0").exit());
        Path schema = tmp.resolve("s.json");
        Files.writeString(schema, "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3}},"
                + "\"required\":[\"a\"],\"additionalProperties\":false}");
        CliTest.Run r = CliTest.run("bench", "--model", a.toString(), "--prompt-tokens", "8", "--gen-tokens", "12", "--rounds", "1",
                "--json-schema", schema.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = TestJson.parse(r.out());
        assertTrue(j.get("constrained_decode_by_batch").get("1").getDoubleValue() > 0, r.out());
        assertTrue(j.get("warm_cache_constrained_decode_by_batch").get("1").getDoubleValue() > 0, r.out());
        double cold = j.get("mask_cache_hit_rate_by_batch").get("1").getDoubleValue();
        double warm = j.get("warm_cache_hit_rate_by_batch").get("1").getDoubleValue();
        assertTrue(cold >= 0 && cold < 1 && warm > cold && warm <= 1, r.out());

        Files.writeString(schema, "{\"type\":\"integer\",\"minimum\":0}");
        r = CliTest.run("bench", "--model", a.toString(), "--json-schema", schema.toString());
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.err().contains("minimum"), r.err());
    }
}
