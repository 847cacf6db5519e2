package dev.parley.inference.train;

import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufValueType;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.Quantizer;
import java.nio.file.Path;

/** Writes a trained model as a Llama GGUF the engine loads: matrices F32 or Q8_0, norms F32, tied output (no output.weight). */
public final class GgufExport {
    private GgufExport() {}

    public static void write(Llama model, BpeVocabulary vocab, GgmlType matrixType, String name, Path path) {
        LlamaConfig c = model.c;
        if (matrixType != GgmlType.F32 && matrixType != GgmlType.Q8_0) throw new IllegalArgumentException("export type " + matrixType + " (F32 or Q8_0)");
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of("llama"));
        w.put("general.name", GgufValue.of(name));
        w.put("general.file_type", GgufValue.u32(matrixType == GgmlType.F32 ? 0 : 7));
        w.put("llama.embedding_length", GgufValue.u32(c.dim()));
        w.put("llama.block_count", GgufValue.u32(c.layers()));
        w.put("llama.attention.head_count", GgufValue.u32(c.heads()));
        w.put("llama.attention.head_count_kv", GgufValue.u32(c.kvHeads()));
        w.put("llama.feed_forward_length", GgufValue.u32(c.ffn()));
        w.put("llama.context_length", GgufValue.u32(c.context()));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(LlamaConfig.RMS_EPS));
        w.put("llama.rope.freq_base", GgufValue.f32(LlamaConfig.ROPE_BASE));
        w.put("llama.rope.dimension_count", GgufValue.u32(c.headDim()));
        w.put("llama.vocab_size", GgufValue.u32(c.vocab()));
        w.put("tokenizer.ggml.model", GgufValue.of("gpt2"));
        w.put("tokenizer.ggml.pre", GgufValue.of(BpeVocabulary.PRE_TOKENIZER));
        w.put("tokenizer.ggml.tokens", GgufValue.strings(vocab.tokens()));
        long[] types = new long[vocab.size()];
        java.util.Arrays.fill(types, 1); // NORMAL
        types[vocab.endOfText()] = 3;    // CONTROL
        w.put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, types));
        w.put("tokenizer.ggml.merges", GgufValue.strings(vocab.merges()));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.u32(vocab.endOfText()));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.u32(vocab.endOfText()));
        // training never saw a BOS token: prompts must start with plain text, as the training windows do
        w.put("tokenizer.ggml.add_bos_token", GgufValue.bool(false));
        for (Param p : model.params) {
            GgmlType type = p.isMatrix() && p.cols % matrixType.blockSize == 0 ? matrixType : GgmlType.F32;
            long[] shape = p.isMatrix() ? new long[] {p.cols, p.rows} : new long[] {p.cols};
            w.addTensor(p.name, type, shape, seg -> Quantizer.quantize(type, p.w, p.w.length, seg, 0));
        }
        w.write(path);
    }
}
