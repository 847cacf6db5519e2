package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.forge.SyntheticAdapter;
import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.LoraAdapter.Projection;
import dev.parley.inference.tensor.GgmlType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters on the batched forward pass: a step mixing rows of two adapters and of the base gives every row the
 * logits it has alone, and adapter files that do not fit the base fail to load with one clear line.
 */
class LoraAdapterTest {
    /**
     * The batched kernels sum a row's products in an order that depends on the tile the row falls in (exact only with
     * {@code -Dparley.batch-invariant}), so rows agree with their solo run to float rounding, not bit for bit; an
     * adapter's delta moves these logits by far more (checked below).
     */
    static final float TOLERANCE = 2e-5f;
    @TempDir static Path dir;
    static Model model;
    static LoraAdapter first, second;

    @BeforeAll static void load() {
        model = Model.load(SyntheticModel.tiny().write(dir.resolve("tiny.gguf")));
        first = model.loadAdapter("first", new SyntheticAdapter(4, 1).write(model, dir.resolve("first.gguf")));
        // the second covers only some projections, with another rank and alpha
        second = model.loadAdapter("second", new SyntheticAdapter(2, 3f, 0.05f, List.of(Projection.Q, Projection.V, Projection.DOWN), 2)
                .write(model, dir.resolve("second.gguf")));
    }

    @AfterAll static void close() {
        if (model != null) model.close();
    }

    /** One sequence of the mixed step: its tokens, adapter, block table, and the logits it gets alone. */
    private record Row(int[] tokens, LoraAdapter adapter, int[] table, float[][] alone) {}

    @Test void aStepMixingTwoAdaptersAndTheBaseGivesEveryRowItsLogitsAlone() {
        for (MatmulMode mode : MatmulMode.values()) {
            Transformer t = model.transformer(mode);
            // the first adapter's rows are not adjacent, so the step groups them into one segment
            List<Row> rows = List.of(row(t, 0, 5, first), row(t, 1, 7, second), row(t, 2, 6, null), row(t, 3, 4, first), row(t, 4, 9, null));
            PagedKvCache kv = new PagedKvCache(model.config().kvShape(), KvFormat.F32, 16, rows.size());
            ForwardBuffers buffers = new ForwardBuffers(model.config());
            Batch b = new Batch();
            int prompt = 3; // step 1: every sequence's first `prompt` tokens; steps 2..: one token each, decoding
            for (Row r : rows) for (int p = 0; p < prompt; p++) b.add(r.tokens[p], p, r.table, p == prompt - 1, false, r.adapter);
            assertEquals(9, b.adaptedRows(), "three adapted sequences of 3 rows");
            float[][] logits = t.forward(b, kv, buffers);
            for (int i = 0; i < rows.size(); i++) assertArrayEquals(rows.get(i).alone[prompt - 1], logits[i], TOLERANCE, mode + " prefill row " + i);
            for (int pos = prompt; pos < 9; pos++) {
                b.clear();
                int p = pos;
                List<Row> decoding = rows.stream().filter(r -> p < r.tokens.length).toList();
                for (Row r : decoding) b.add(r.tokens[p], p, r.table, true, false, r.adapter);
                logits = t.forward(b, kv, buffers);
                for (int i = 0; i < decoding.size(); i++)
                    assertArrayEquals(decoding.get(i).alone[p], logits[i], TOLERANCE, mode + " decode position " + p + " of row " + i);
            }
            float[] base = rows.get(2).alone[2];
            assertFalse(Arrays.equals(base, rows.get(0).alone[2]) && Arrays.equals(base, rows.get(1).alone[2]));
            assertTrue(maxDiff(alone(t, rows.get(0).tokens, null), rows.get(0).alone) > 1e-3, "the first adapter changes the logits");
            assertTrue(maxDiff(alone(t, rows.get(1).tokens, null), rows.get(1).alone) > 1e-3, "the second adapter changes the logits");
        }
    }

    private static Row row(Transformer t, int block, int length, LoraAdapter adapter) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) tokens[i] = 3 + (block * 31 + i * 17) % (model.config().vocabSize() - 3);
        return new Row(tokens, adapter, new int[] {block}, alone(t, tokens, adapter));
    }

    /** Every position's logits for {@code tokens} computed as a batch of this one sequence. */
    private static float[][] alone(Transformer t, int[] tokens, LoraAdapter adapter) {
        return t.forward(tokens, 0, model.newSingleSequenceKvCache(16), true, adapter);
    }

    private static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
        return max;
    }

    @Test void theAdapterReadsBackWithItsNamesAndScale() {
        assertSame(first, model.adapter("first"));
        assertEquals(List.of("first", "second"), List.copyOf(model.adapters().keySet()));
        assertEquals(7 * model.config().layers(), first.adaptedWeights());
        assertEquals(3 * model.config().layers(), second.adaptedWeights());
        assertEquals(8f, first.alpha());
        LoraAdapter.LowRank q = second.delta(1, Projection.Q);
        assertEquals(2, q.rank());
        assertEquals(1.5f, q.scale());
        assertEquals(null, second.delta(0, Projection.K));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> model.adapter("third"));
        assertEquals("no LoRA adapter named 'third' is loaded (loaded: first, second)", unknown.getMessage());
        IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                () -> model.loadAdapter("first", dir.resolve("first.gguf")));
        assertEquals("an adapter named 'first' is already loaded", taken.getMessage());
    }

    @Test void adaptersThatDoNotFitTheBaseFailWithOneClearLine() {
        Path wide = dir.resolve("wide.gguf");
        try (Model other = Model.load(new SyntheticModel(128, 2, 4, 2, 96, 320, 128, GgmlType.Q8_0).write(dir.resolve("wide-base.gguf")))) {
            new SyntheticAdapter(4, 1).write(other, wide);
        }
        assertError(wide, "tensors blk.0.attn_q.weight.lora_a/.lora_b: shapes [128, 4] and [4, 128] do not fit the base model, "
                + "which needs [64, R] and [R, 64]");
        assertError(dir.resolve("tiny.gguf"), "not a LoRA adapter: general.type is missing, expected 'adapter'");
        assertError(adapter("wrong-arch.gguf", "qwen2", w -> {}), "the adapter is for architecture 'qwen2' but the base model is 'llama'");
        assertError(adapter("deep.gguf", "llama", w -> pair(w, "blk.2.attn_q.weight", 64, 2, 64)),
                "tensor blk.2.attn_q.weight.lora_a: the base model has 2 layers");
        assertError(adapter("fused.gguf", "llama", w -> pair(w, "blk.0.attn_qkv.weight", 64, 2, 128)),
                "tensor blk.0.attn_qkv.weight: LoRA on 'attn_qkv' is not supported (supported: attn_q, attn_k, attn_v, attn_output, "
                        + "ffn_gate, ffn_up, ffn_down)");
        assertError(adapter("ranks.gguf", "llama", w -> {
            w.addF32("blk.0.attn_q.weight.lora_a", new long[] {64, 2}, new float[128]);
            w.addF32("blk.0.attn_q.weight.lora_b", new long[] {3, 64}, new float[192]);
        }), "tensors blk.0.attn_q.weight.lora_a/.lora_b: shapes [64, 2] and [3, 64] are not [in, R] and [R, out] with one rank R");
        assertError(adapter("half.gguf", "llama", w -> w.addF32("blk.0.attn_q.weight.lora_b", new long[] {2, 64}, new float[128])),
                "tensor blk.0.attn_q.weight.lora_b has no blk.0.attn_q.weight.lora_a");
        assertError(adapter("empty.gguf", "llama", w -> {}), "the adapter has no LoRA tensors");
        assertEquals(List.of("first", "second"), List.copyOf(model.adapters().keySet()), "nothing was attached");
    }

    private static void assertError(Path file, String message) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> model.loadAdapter("bad", file));
        assertEquals(file + ": " + message, e.getMessage());
    }

    private static Path adapter(String name, String arch, java.util.function.Consumer<GgufWriter> tensors) {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of(arch));
        w.put("general.type", GgufValue.of("adapter"));
        w.put("adapter.type", GgufValue.of("lora"));
        w.put("adapter.lora.alpha", GgufValue.f32(4f));
        tensors.accept(w);
        Path out = dir.resolve(name);
        w.write(out);
        return out;
    }

    private static void pair(GgufWriter w, String weight, int in, int rank, int out) {
        w.addF32(weight + ".lora_a", new long[] {in, rank}, new float[in * rank]);
        w.addF32(weight + ".lora_b", new long[] {rank, out}, new float[rank * out]);
    }
}
