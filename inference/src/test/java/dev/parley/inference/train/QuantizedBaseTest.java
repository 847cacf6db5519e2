package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.Quantizer;
import dev.parley.inference.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA over a base frozen in its GGUF format (here Q8_0, the format `tune sft --lora-rank` meets most): the frozen model
 * computes what its dequantized F32 copy computes, the adapters' gradients pass finite differences through the quantized
 * projections' transposed products, the frozen tensors get no gradient and no optimizer state, and the written model has
 * the adapters folded into each tensor.
 */
class QuantizedBaseTest {
    private static final float SCALE = 100f;
    private static final int B = 2, T = 6;
    @TempDir static Path dir;
    static Path q8;

    /** A random two-layer model (weights larger than init, so products are not near zero) exported as Q8_0. */
    @BeforeAll static void quantizedBase() {
        String text = "red blue green cat dog sun moon tree fish bird star rock. ".repeat(20);
        BpeVocabulary vocab = BpeVocabulary.train(text, 60, false);
        Llama model = new Llama(new LlamaConfig(vocab.size(), 32, 2, 4, 2, 64, 16), 3);
        TestWeights.randomize(model, 11);
        for (Param p : model.params) if (p.isMatrix()) for (int i = 0; i < p.w.length; i++) p.w[i] *= 0.5f;
        q8 = dir.resolve("base-q8_0.gguf");
        GgufExport.write(model, vocab, GgmlType.Q8_0, "q8", q8);
    }

    private static int[][] batch(int vocab) {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] tokens = new int[B * T], targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(vocab);
            targets[i] = i % 3 == 0 ? CrossEntropy.IGNORED : rnd.nextInt(vocab);
        }
        return new int[][] {tokens, targets};
    }

    private static Lora adapters(Llama model) {
        Lora lora = new Lora(model, 2, 4f, 9);
        SplittableRandom rnd = new SplittableRandom(2);
        // B starts at zero, which would make every dA zero and the check of A vacuous
        for (Param p : lora.params)
            if (p.name.endsWith("lora_b")) for (int i = 0; i < p.w.length; i++) p.w[i] = (float) rnd.nextGaussian() * 0.3f;
        model.attach(lora);
        return lora;
    }

    @Test void frozenBaseComputesWhatItsDequantizedCopyComputes() {
        try (FineTuneBase frozen = FineTuneBase.load(q8, true); FineTuneBase f32 = FineTuneBase.load(q8, false)) {
            assertNotNull(frozen.llama.layers[0].wq().frozen, "the projections stay in the file");
            assertEquals(GgmlType.Q8_0, frozen.llama.layers[0].wq().frozen.type());
            assertEquals(2 * 32, frozen.llama.embedding.w.length, "on the heap: only the two added tokens' embedding rows");
            int[][] b = batch(frozen.llama.config().vocab());
            Lora l1 = adapters(frozen.llama), l2 = adapters(f32.llama);
            frozen.llama.zeroGradients();
            f32.llama.zeroGradients();
            double lossFrozen = frozen.llama.loss(b[0], b[1], B, T, true), lossF32 = f32.llama.loss(b[0], b[1], B, T, true);
            assertEquals(lossF32, lossFrozen, 1e-5 * Math.abs(lossF32));
            for (int i = 0; i < l1.params.size(); i++) {
                float[] g1 = l1.params.get(i).g, g2 = l2.params.get(i).g;
                for (int j = 0; j < g1.length; j++)
                    assertEquals(g2[j], g1[j], 1e-4 * Math.max(1e-2, Math.abs(g2[j])), l1.params.get(i).name + "[" + j + "]");
            }
        }
    }

    @Test void loraGradientsThroughQuantizedProjections() {
        try (FineTuneBase base = FineTuneBase.load(q8, true)) {
            Llama model = base.llama;
            Lora lora = adapters(model);
            int[][] b = batch(model.config().vocab());
            model.zeroGradients();
            lora.zeroGradients();
            model.loss(b[0], b[1], B, T, true);
            for (Param p : lora.params) {
                float[] analytic = p.g.clone();
                for (int i = 0; i < analytic.length; i++) analytic[i] *= SCALE;
                GradientCheck.check("q8_0." + p.name, p.w, analytic, () -> SCALE * model.loss(b[0], b[1], B, T, false), 12, 2e-3f, 2e-2);
            }
            // the input gradient through the frozen embedding's transposed product reaches the added rows' embedding too
            float[] e = model.embedding.g.clone();
            for (int i = 0; i < e.length; i++) e[i] *= SCALE;
            GradientCheck.check("q8_0.added_rows", model.embedding.w, e, () -> SCALE * model.loss(b[0], b[1], B, T, false), 12, 1e-2f, 2e-2);
        }
    }

    @Test void frozenTensorsGetNoGradientNorOptimizerState() {
        try (FineTuneBase base = FineTuneBase.load(q8, true)) {
            Tuning tuning = new Tuning(base, new Tuning.Options(2, 3, 1e-2f, 1, 2, 4));
            int[][] b = batch(base.llama.config().vocab());
            for (int s = 0; s < 2; s++) {
                tuning.zeroGradients();
                base.llama.loss(b[0], b[1], B, T, true);
                tuning.update(B * T);
            }
            for (Param p : base.llama.params) {
                if (p == base.llama.embedding) continue;
                assertNull(p.g, p.name + " gradient");
                assertNull(p.m, p.name + " first moment");
                assertNull(p.v, p.name + " second moment");
            }
            Param e = base.llama.embedding;
            assertEquals(e.w.length, e.g.length, "the added rows train");
            assertNotNull(e.m);
            for (Param p : tuning.lora.params) assertNotNull(p.m, p.name + " trains");
            assertThrows(IllegalArgumentException.class, () -> new Tuning(base, new Tuning.Options(2, 3, 1e-2f, 1, 0, 0)),
                    "full fine-tuning of a frozen base");
        }
    }

    @Test void writingFoldsTheAdaptersIntoEachQuantizedTensor() {
        Path out = dir.resolve("merged.gguf");
        float[] expected;
        int rows, cols;
        try (FineTuneBase base = FineTuneBase.load(q8, true)) {
            Lora lora = adapters(base.llama);
            Param wq = base.llama.layers[1].wq();
            rows = wq.rows;
            cols = wq.cols;
            expected = wq.dense();
            lora.addDelta(wq, expected);
            base.write(out, "merged");
        }
        // the writer quantizes base + delta once: the same as quantizing the expected values here
        MemorySegment seg = Arena.ofAuto().allocate(GgmlType.Q8_0.bytesFor((long) rows * cols));
        Quantizer.quantize(GgmlType.Q8_0, expected, expected.length, seg, 0);
        WeightMatrix reference = WeightMatrix.of(GgmlType.Q8_0, seg, rows, cols);
        try (FineTuneBase merged = FineTuneBase.load(out, true)) {
            WeightMatrix written = merged.llama.layers[1].wq().frozen;
            assertEquals(GgmlType.Q8_0, written.type(), "the base's format is kept");
            float[] a = new float[cols], e = new float[cols];
            double moved = 0;
            try (FineTuneBase plain = FineTuneBase.load(q8, true)) {
                float[] before = new float[cols];
                for (int r = 0; r < rows; r++) {
                    written.dequantizeRow(r, a, 0);
                    reference.dequantizeRow(r, e, 0);
                    plain.llama.layers[1].wq().frozen.dequantizeRow(r, before, 0);
                    for (int i = 0; i < cols; i++) {
                        assertEquals(e[i], a[i], 0f, "row " + r + " col " + i);
                        moved = Math.max(moved, Math.abs(a[i] - before[i]));
                    }
                }
            }
            assertTrue(moved > 0.05, "the adapters changed the written weights: " + moved);
        }
    }
}
