package dev.parley.inference.testing;

import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufValueType;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes random-weight Llama-shaped GGUF models with a SentencePiece-style vocabulary (control tokens, 256 byte
 * tokens, then filler pieces). Matrices are Q8_0 or F32 filled block by block straight into the mapped output,
 * so a 1B-parameter file is written without holding it on the heap.
 */
public record SyntheticModel(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocab, int context, GgmlType matrixType) {

    /** A tiny model for fast tests. */
    public static SyntheticModel tiny() {
        return new SyntheticModel(64, 2, 4, 2, 96, 320, 128, GgmlType.Q8_0);
    }

    /** TinyLlama-1.1B's shape (dim 2048, 22 layers, 32/4 heads, ffn 5632, vocab 32000). */
    public static SyntheticModel oneBillion() {
        return new SyntheticModel(2048, 22, 32, 4, 5632, 32000, 2048, GgmlType.Q8_0);
    }

    public long parameterCount() {
        int hd = dim / heads, kvDim = kvHeads * hd;
        long perLayer = 2L * dim + 2L * dim * dim + 2L * dim * kvDim + 3L * dim * ffnDim;
        return 2L * vocab * dim + dim + layers * perLayer;
    }

    public Path write(Path path) {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of("llama"));
        w.put("general.name", GgufValue.of("synthetic-" + dim + "x" + layers));
        w.put("llama.embedding_length", GgufValue.u32(dim));
        w.put("llama.block_count", GgufValue.u32(layers));
        w.put("llama.attention.head_count", GgufValue.u32(heads));
        w.put("llama.attention.head_count_kv", GgufValue.u32(kvHeads));
        w.put("llama.feed_forward_length", GgufValue.u32(ffnDim));
        w.put("llama.context_length", GgufValue.u32(context));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        w.put("llama.rope.freq_base", GgufValue.f32(10000f));
        putVocabulary(w);
        int kvDim = kvHeads * (dim / heads);
        SplittableRandom seeds = new SplittableRandom(42);
        matrix(w, "token_embd.weight", vocab, dim, seeds.nextLong());
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            norm(w, p + "attn_norm.weight");
            matrix(w, p + "attn_q.weight", dim, dim, seeds.nextLong());
            matrix(w, p + "attn_k.weight", kvDim, dim, seeds.nextLong());
            matrix(w, p + "attn_v.weight", kvDim, dim, seeds.nextLong());
            matrix(w, p + "attn_output.weight", dim, dim, seeds.nextLong());
            norm(w, p + "ffn_norm.weight");
            matrix(w, p + "ffn_gate.weight", ffnDim, dim, seeds.nextLong());
            matrix(w, p + "ffn_up.weight", ffnDim, dim, seeds.nextLong());
            matrix(w, p + "ffn_down.weight", dim, ffnDim, seeds.nextLong());
        }
        norm(w, "output_norm.weight");
        matrix(w, "output.weight", vocab, dim, seeds.nextLong());
        w.write(path);
        return path;
    }

    private void putVocabulary(GgufWriter w) {
        putVocabulary(w, vocab);
    }

    /** A SentencePiece-style vocabulary of {@code vocab} tokens: control tokens, 256 byte tokens, then letter pieces. */
    public static void putVocabulary(GgufWriter w, int vocab) {
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        long[] types = new long[vocab];
        tokens[0] = "<unk>"; types[0] = 2;
        tokens[1] = "<s>"; types[1] = 3;
        tokens[2] = "</s>"; types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        String letters = "abcdefghijklmnopqrstuvwxyz";
        for (int i = 259; i < vocab; i++) {
            int k = i - 259;
            // single letters with and without the word-start marker first, then two-letter pieces
            tokens[i] = k < 26 ? "▁" + letters.charAt(k) : k < 52 ? String.valueOf(letters.charAt(k - 26))
                    : "▁" + letters.charAt((k / 26) % 26) + letters.charAt(k % 26) + (k >= 26 * 26 ? "#" + k : "");
            scores[i] = -k;
            types[i] = 1;
        }
        w.put("tokenizer.ggml.model", GgufValue.of("llama"));
        w.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
        w.put("tokenizer.ggml.scores", GgufValue.floats(scores));
        w.put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, types));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.u32(1));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.u32(2));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.u32(0));
    }

    private static void norm(GgufWriter w, String name, int n) {
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        w.addF32(name, new long[] {n}, ones);
    }

    private void norm(GgufWriter w, String name) {
        norm(w, name, dim);
    }

    /** Random weights of about N(0, 0.02) scale: Q8_0 blocks with random int8 values and a fixed fp16 scale. */
    private void matrix(GgufWriter w, String name, int rows, int cols, long seed) {
        w.addTensor(name, matrixType, new long[] {cols, rows}, seg -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            if (matrixType == GgmlType.Q8_0) {
                short scale = Float.floatToFloat16(0.02f / 64);
                long blocks = seg.byteSize() / 34;
                byte[] block = new byte[34];
                for (long b = 0; b < blocks; b++) {
                    block[0] = (byte) scale;
                    block[1] = (byte) (scale >> 8);
                    for (int i = 2; i < 34; i++) block[i] = (byte) rnd.nextInt(-110, 111);
                    MemorySegment.copy(block, 0, seg, ValueLayout.JAVA_BYTE, b * 34, 34);
                }
            } else if (matrixType == GgmlType.F32) {
                var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < seg.byteSize() / 4; i++) seg.set(f32, i * 4, (float) (rnd.nextDouble(-1, 1) * 0.035));
            } else {
                throw new IllegalArgumentException("synthetic " + matrixType + " matrices are not supported");
            }
        });
    }
}
