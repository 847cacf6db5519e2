package dev.parley.inference.forge;

import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufValueType;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * A standard Llama GGUF file of any shape with deterministic random weights, so benchmarks run on realistic sizes
 * (a 1B model, a 110M one) without downloads, and other GGUF tools (llama.cpp) load the same file: complete
 * {@code llama.*} metadata, {@code general.file_type}, and a SentencePiece-style vocabulary (control tokens, the 256
 * byte tokens, then filler pieces).
 *
 * <p>Like llama-quantize, a Q4_0 model keeps its output matrix (or, when tied, the embedding table that doubles as
 * the output) in Q6_K: that matrix is a large share of a small model's bytes, so files compare with real ones.
 *
 * <p>Weights are about N(0, 0.02) in scale: quantized blocks hold uniformly random codes under one fixed scale, float
 * formats hold Gaussian values. Blocks are filled in 1 MiB chunks whose random streams derive from the seed, the
 * tensor and the chunk index alone, so the file is the same byte for byte however many threads write it, and a
 * multi-gigabyte file is written straight into the mapped output without holding it on the heap.
 */
public record SyntheticModel(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocab, int context,
                             GgmlType matrixType, boolean tied, long seed) {
    /** The matrix formats a synthetic model can be written in. */
    public static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0);
    private static final long CHUNK = 1 << 20;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public SyntheticModel {
        if (!TYPES.contains(matrixType)) throw new IllegalArgumentException("synthetic models are " + TYPES + ", not " + matrixType);
        if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || ffnDim <= 0 || vocab <= 0 || context <= 0) {
            throw new IllegalArgumentException("every dimension must be positive");
        }
        if (dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("head size " + dim / heads + " must be even (rope rotates pairs)");
        if (vocab < 259 + 52) throw new IllegalArgumentException("vocab must hold at least 311 tokens (3 control, 256 bytes, 52 letters)");
        // the fields are not assigned yet inside a compact constructor: use the parameters
        GgmlType head = matrixType == GgmlType.Q4_0 ? GgmlType.Q6_K : matrixType;
        int block = Math.max(matrixType.blockSize, head.blockSize);
        if (dim % block != 0 || ffnDim % block != 0) {
            throw new IllegalArgumentException("dim and ffn must be multiples of " + block + " for " + matrixType + (head != matrixType ? " with a " + head + " output" : ""));
        }
    }

    /** The untied, seed-42 model of a shape. */
    public SyntheticModel(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocab, int context, GgmlType matrixType) {
        this(dim, layers, heads, kvHeads, ffnDim, vocab, context, matrixType, false, 42);
    }

    /** A tiny model for fast tests. */
    public static SyntheticModel tiny() {
        return new SyntheticModel(64, 2, 4, 2, 96, 320, 128, GgmlType.Q8_0);
    }

    /** TinyLlama-1.1B's shape (dim 2048, 22 layers, 32/4 heads, ffn 5632, vocab 32000). */
    public static SyntheticModel oneBillion() {
        return new SyntheticModel(2048, 22, 32, 4, 5632, 32000, 2048, GgmlType.Q8_0);
    }

    /** The output matrix's format: Q6_K under Q4_0 (as llama-quantize does), else the matrices' own. */
    public GgmlType headType() {
        return matrixType == GgmlType.Q4_0 ? GgmlType.Q6_K : matrixType;
    }

    /** The embedding table's format: the head's when tied (it is the head), else the matrices'. */
    public GgmlType embeddingType() {
        return tied ? headType() : matrixType;
    }

    public long parameterCount() {
        int hd = dim / heads, kvDim = kvHeads * hd;
        long perLayer = 2L * dim + 2L * dim * dim + 2L * dim * kvDim + 3L * dim * ffnDim;
        return (tied ? 1L : 2L) * vocab * dim + dim + layers * perLayer;
    }

    public Path write(Path path) {
        GgufWriter w = new GgufWriter();
        int headDim = dim / heads, kvDim = kvHeads * headDim;
        w.put("general.architecture", GgufValue.of("llama"));
        w.put("general.name", GgufValue.of("synthetic-" + dim + "x" + layers + "-" + matrixType));
        w.put("general.file_type", GgufValue.u32(switch (matrixType) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            default -> 7; // Q8_0
        }));
        w.put("general.quantization_version", GgufValue.u32(2));
        w.put("llama.vocab_size", GgufValue.u32(vocab));
        w.put("llama.embedding_length", GgufValue.u32(dim));
        w.put("llama.block_count", GgufValue.u32(layers));
        w.put("llama.attention.head_count", GgufValue.u32(heads));
        w.put("llama.attention.head_count_kv", GgufValue.u32(kvHeads));
        w.put("llama.feed_forward_length", GgufValue.u32(ffnDim));
        w.put("llama.context_length", GgufValue.u32(context));
        w.put("llama.rope.dimension_count", GgufValue.u32(headDim));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        w.put("llama.rope.freq_base", GgufValue.f32(10000f));
        putVocabulary(w, vocab);
        SplittableRandom seeds = new SplittableRandom(seed);
        matrix(w, "token_embd.weight", embeddingType(), vocab, dim, seeds.nextLong());
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            norm(w, p + "attn_norm.weight", dim);
            matrix(w, p + "attn_q.weight", matrixType, dim, dim, seeds.nextLong());
            matrix(w, p + "attn_k.weight", matrixType, kvDim, dim, seeds.nextLong());
            matrix(w, p + "attn_v.weight", matrixType, kvDim, dim, seeds.nextLong());
            matrix(w, p + "attn_output.weight", matrixType, dim, dim, seeds.nextLong());
            norm(w, p + "ffn_norm.weight", dim);
            matrix(w, p + "ffn_gate.weight", matrixType, ffnDim, dim, seeds.nextLong());
            matrix(w, p + "ffn_up.weight", matrixType, ffnDim, dim, seeds.nextLong());
            matrix(w, p + "ffn_down.weight", matrixType, dim, ffnDim, seeds.nextLong());
        }
        norm(w, "output_norm.weight", dim);
        long outputSeed = seeds.nextLong();
        if (!tied) matrix(w, "output.weight", headType(), vocab, dim, outputSeed);
        w.write(path);
        return path;
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
        w.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        w.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
    }

    private static void norm(GgufWriter w, String name, int n) {
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        w.addF32(name, new long[] {n}, ones);
    }

    private static void matrix(GgufWriter w, String name, GgmlType type, int rows, int cols, long seed) {
        w.addTensor(name, type, new long[] {cols, rows}, seg -> randomWeights(seg, type, seed));
    }

    /**
     * Fills a whole tensor of {@code type} (F32, F16, Q8_0, Q4_0, Q6_K; for benchmarks also Q4_1, Q5_0, Q5_1, Q4_K,
     * Q5_K) with random weights, chunk by chunk in
     * parallel; every chunk is a whole number of blocks. Also what the kernel benchmarks multiply.
     */
    public static void randomWeights(MemorySegment seg, GgmlType type, long seed) {
        long blockBytes = type.bytesFor(type.blockSize);
        long chunk = CHUNK / blockBytes * blockBytes;
        long chunks = (seg.byteSize() + chunk - 1) / chunk;
        LongStream.range(0, chunks).parallel().forEach(c -> {
            long from = c * chunk, size = Math.min(chunk, seg.byteSize() - from);
            fillChunk(seg.asSlice(from, size), type, new SplittableRandom(seed ^ (c * 0x9E3779B97F4A7C15L)));
        });
    }

    private static void fillChunk(MemorySegment seg, GgmlType type, SplittableRandom rnd) {
        long n = seg.byteSize();
        switch (type) {
            case F32 -> {
                for (long o = 0; o < n; o += 4) seg.set(LE_FLOAT, o, (float) (rnd.nextGaussian() * 0.02));
            }
            case F16 -> {
                for (long o = 0; o < n; o += 2) seg.set(LE_SHORT, o, Float.floatToFloat16((float) (rnd.nextGaussian() * 0.02)));
            }
            default -> {
                // random codes first, then each block's scale fields overwritten with valid values
                for (long o = 0; o + 8 <= n; o += 8) seg.set(LE_LONG, o, rnd.nextLong());
                for (long o = n & ~7L; o < n; o++) seg.set(ValueLayout.JAVA_BYTE, o, (byte) rnd.nextInt());
                long bb = type.bytesFor(type.blockSize);
                for (long b = 0; b < n; b += bb) scales(seg, b, type);
            }
        }
    }

    /** Scales that give the block's values a standard deviation of about 0.02. */
    private static void scales(MemorySegment seg, long block, GgmlType type) {
        switch (type) {
            // int8 codes uniform on [-128, 127]: sd ~74
            case Q8_0 -> seg.set(LE_SHORT, block, Float.floatToFloat16(0.02f / 74));
            // 4-bit codes minus 8, uniform on [-8, 7]: sd ~4.6
            case Q4_0 -> seg.set(LE_SHORT, block, Float.floatToFloat16(0.02f / 4.6f));
            // 6-bit codes minus 32 (sd ~18.5) times int8 sub-block scales forced into [8, 15] (mean ~11.5)
            case Q6_K -> {
                for (int i = 0; i < 16; i++) seg.set(ValueLayout.JAVA_BYTE, block + 192 + i, (byte) (8 + (seg.get(ValueLayout.JAVA_BYTE, block + 192 + i) & 7)));
                seg.set(LE_SHORT, block + 208, Float.floatToFloat16(0.02f / (18.5f * 11.5f)));
            }
            // other block formats (kernel benchmarks only): every fp16 field (d, and m or dmin) one small valid value
            case Q5_0 -> seg.set(LE_SHORT, block, Float.floatToFloat16(0.02f / 64));
            case Q4_1, Q5_1, Q4_K, Q5_K -> {
                seg.set(LE_SHORT, block, Float.floatToFloat16(0.02f / 64));
                seg.set(LE_SHORT, block + 2, Float.floatToFloat16(0.02f / 64));
            }
            default -> throw new IllegalArgumentException("no random blocks for " + type);
        }
    }
}
