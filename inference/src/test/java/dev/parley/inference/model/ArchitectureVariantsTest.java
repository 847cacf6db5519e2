package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.testing.Shared;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-family options of the forward pass, checked by equivalences on real oracle weights: a family is a row of
 * options, so two files that express the same computation differently must give the same logits.
 */
class ArchitectureVariantsTest {
    @TempDir Path tmp;
    private static final int[] PROMPT = {1, 9038, 2501, 263, 931};

    private static float[] logits(Path p) {
        try (Model m = Model.load(p); SingleSequenceKvCache kv = m.newSingleSequenceKvCache(PROMPT.length)) {
            return m.transformer(MatmulMode.GGML).forward(PROMPT, 0, kv, false)[0];
        }
    }

    /** Copies a GGUF, renaming the architecture and letting {@code edit} change metadata and tensors. */
    private Path rewrite(Path src, String name, String arch, Consumer<Rewrite> edit) {
        Path out = tmp.resolve(name);
        try (GgufFile f = GgufFile.open(src)) {
            String from = f.getString("general.architecture");
            Rewrite r = new Rewrite(f, new GgufWriter(), new ArrayList<>(f.tensors().values()));
            f.metadata().forEach((k, v) -> {
                if (k.equals("general.architecture")) r.writer.put(k, GgufValue.of(arch));
                else r.writer.put(k.startsWith(from + ".") ? arch + k.substring(from.length()) : k, v);
            });
            edit.accept(r);
            for (TensorInfo t : r.tensors) r.writer.addTensor(t.name(), t.type(), t.shape(), seg -> seg.copyFrom(f.tensorData(t)));
            r.writer.write(out);
        }
        return out;
    }

    private record Rewrite(GgufFile f, GgufWriter writer, List<TensorInfo> tensors) {
        TensorInfo take(String name) {
            TensorInfo t = f.tensor(name);
            tensors.remove(t);
            return t;
        }

        /** Replaces tensors by one whose rows are theirs, in order (how Phi-3 stores QKV and gate+up). */
        void fuse(String name, String... parts) {
            List<TensorInfo> infos = Arrays.stream(parts).map(this::take).toList();
            long rows = infos.stream().mapToLong(t -> t.shape()[1]).sum();
            writer.addTensor(name, infos.get(0).type(), new long[] {infos.get(0).shape()[0], rows}, seg -> {
                long at = 0;
                for (TensorInfo t : infos) {
                    MemorySegment.copy(f.tensorData(t), 0, seg, at, t.byteSize());
                    at += t.byteSize();
                }
            });
        }
    }

    @Test
    void phi3FusedTensorsEqualSeparateOnes() {
        Path llama = Shared.path("oracle/models/llama-spm-q8_0.gguf");
        Path separate = rewrite(llama, "phi3-separate.gguf", "phi3", r -> {});
        Path fused = rewrite(llama, "phi3-fused.gguf", "phi3", r -> {
            for (int l = 0; l < 2; l++) {
                String p = "blk." + l + ".";
                r.fuse(p + "attn_qkv.weight", p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight");
                r.fuse(p + "ffn_up.weight", p + "ffn_gate.weight", p + "ffn_up.weight");
            }
        });
        float[] a = logits(separate), b = logits(fused);
        assertArrayEquals(a, b, "fused QKV and gate+up split back into the same matrices");
        assertFalse(Arrays.equals(a, logits(llama)), "phi3 rotates NEOX pairs, llama adjacent pairs: results must differ");
    }

    @Test
    void ropeFrequencyFactorsMatchLinearScaling() {
        Path llama = Shared.path("oracle/models/llama-spm-q8_0.gguf");
        int pairs = 32 / 2; // head dim 32
        float[] twos = new float[pairs];
        Arrays.fill(twos, 2f);
        Path factors = rewrite(llama, "factors.gguf", "llama", r -> r.writer.addF32("rope_freqs.weight", new long[] {pairs}, twos));
        Path linear = rewrite(llama, "linear.gguf", "llama", r -> {
            r.writer.put("llama.rope.scaling.type", GgufValue.of("linear"));
            r.writer.put("llama.rope.scaling.factor", GgufValue.f32(2f));
        });
        float[] a = logits(factors), b = logits(linear);
        assertArrayEquals(a, b, "dividing every frequency by 2 is linear position scaling by 1/2");
        assertFalse(Arrays.equals(a, logits(llama)), "scaling must change the result");
    }

    @Test
    void qwen3QkNormIsApplied() {
        Path qwen2 = Shared.path("oracle/models/qwen2-f32.gguf");
        Path noNorm = rewrite(qwen2, "qwen3-plain.gguf", "qwen3", r -> {
            for (int l = 0; l < 2; l++) for (String b : List.of("q", "k", "v")) r.take("blk." + l + ".attn_" + b + ".bias");
        });
        float[] ones = new float[16];
        Arrays.fill(ones, 1f);
        Path withNorm = rewrite(qwen2, "qwen3-norm.gguf", "qwen3", r -> {
            for (int l = 0; l < 2; l++) {
                for (String b : List.of("q", "k", "v")) r.take("blk." + l + ".attn_" + b + ".bias");
                r.writer.addF32("blk." + l + ".attn_q_norm.weight", new long[] {16}, ones);
                r.writer.addF32("blk." + l + ".attn_k_norm.weight", new long[] {16}, ones);
            }
        });
        float[] a = logits(noNorm), b = logits(withNorm);
        for (float v : b) assertTrue(Float.isFinite(v));
        assertFalse(Arrays.equals(a, b), "per-head Q/K RMSNorm changes the attention pattern");
        try (Model m = Model.load(withNorm)) {
            assertNotNull(m.weights().layers()[0].qNorm());
            assertEquals("qwen3", m.config().arch());
        }
    }

    @Test
    void unsupportedArchitectureAndMissingTensorAreClearErrors() {
        Path llama = Shared.path("oracle/models/llama-spm-q8_0.gguf");
        Path gpt = rewrite(llama, "bloom.gguf", "bloom", r -> {});
        var e = assertThrows(dev.parley.inference.gguf.GgufException.class, () -> Model.load(gpt));
        assertTrue(e.getMessage().contains("unsupported architecture 'bloom'"), e.getMessage());
        Path missing = rewrite(llama, "missing.gguf", "llama", r -> r.take("blk.1.ffn_down.weight"));
        e = assertThrows(dev.parley.inference.gguf.GgufException.class, () -> Model.load(missing));
        assertTrue(e.getMessage().endsWith("missing tensor blk.1.ffn_down.weight"), e.getMessage());
    }

}
