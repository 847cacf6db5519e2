package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufArray;
import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.kv.KvShape;

/**
 * Hyper-parameters of a transformer, read from GGUF metadata ({@code <arch>.*} keys) with llama.cpp's defaults.
 *
 * @param headDim     size of one query/key head
 * @param ropeDim     number of leading head dimensions RoPE rotates
 * @param ropeScale   linear position scale (1/factor for "linear" rope scaling; 1 otherwise); global layers only
 * @param attentionScale   multiplier of q·k (1/sqrt(head dim) unless the family says otherwise)
 * @param attnSoftcap      attention logits become cap·tanh(s/cap) (Gemma 2); 0 = off
 * @param finalSoftcap     the same on the output logits; 0 = off
 * @param slidingWindow    positions a local layer attends to (its own included); 0 = no sliding window
 * @param ropeLocalBase    RoPE base of local (sliding-window) layers
 * @param ropeLocalScale   linear position scale of local layers
 */
public record ModelConfig(ArchitectureFamily family, String name, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffnDim, int vocabSize, int contextLength, float rmsEps, float ropeBase, int ropeDim,
                          float ropeScale, float attentionScale, float attnSoftcap, float finalSoftcap, int slidingWindow,
                          float ropeLocalBase, float ropeLocalScale) {

    /** The paged KV cache's view of this model: layers and the width of one position's key row. */
    public KvShape kvShape() {
        return new KvShape(layers, kvDim());
    }

    public static ModelConfig fromGguf(GgufFile f) {
        String arch = f.getString("general.architecture");
        ArchitectureFamily family = ArchitectureFamily.byName(arch);
        if (family == null) {
            throw f.error("unsupported architecture '" + arch + "' (supported: " + String.join(", ", ArchitectureFamily.supported()) + ")");
        }
        String p = arch + ".";
        int dim = f.getPositiveInt(p + "embedding_length");
        int layers = f.getPositiveInt(p + "block_count");
        int heads = f.getPositiveInt(p + "attention.head_count");
        int kvHeads = f.has(p + "attention.head_count_kv") ? uniformPerLayer(f, p + "attention.head_count_kv", layers) : heads;
        if (heads % kvHeads != 0) throw f.error("key " + p + "attention.head_count_kv: " + heads + " heads are not a multiple of "
                + kvHeads + " kv heads");
        int headDim = f.has(p + "attention.key_length") ? f.getPositiveInt(p + "attention.key_length") : dim / heads;
        if (f.has(p + "attention.value_length") && f.getPositiveInt(p + "attention.value_length") != headDim)
            throw f.error("key " + p + "attention.value_length differs from key_length (not supported)");
        int ffnDim = uniformPerLayer(f, p + "feed_forward_length", layers);
        int vocab = f.has(p + "vocab_size") ? f.getPositiveInt(p + "vocab_size") : f.getStringArray("tokenizer.ggml.tokens").length;
        int ctx = f.getPositiveInt(p + "context_length");
        float eps = f.getFloat(p + "attention.layer_norm_rms_epsilon");
        if (!(eps > 0 && eps < 1)) throw f.error("key " + p + "attention.layer_norm_rms_epsilon: " + eps + " out of range");
        float ropeBase = f.getFloat(p + "rope.freq_base", 10000f);
        if (!(ropeBase > 1)) throw f.error("key " + p + "rope.freq_base: " + ropeBase + " out of range");
        int ropeDim = f.has(p + "rope.dimension_count") ? f.getPositiveInt(p + "rope.dimension_count") : headDim;
        if (ropeDim > headDim || ropeDim % 2 != 0) throw f.error("key " + p + "rope.dimension_count: " + ropeDim
                + " does not fit head size " + headDim);
        float ropeScale = 1f;
        String scaling = f.getString(p + "rope.scaling.type", "none");
        switch (scaling) {
            case "none" -> { }
            case "linear" -> {
                float factor = f.getFloat(p + "rope.scaling.factor", 1f);
                if (!(factor > 0)) throw f.error("key " + p + "rope.scaling.factor: " + factor + " out of range");
                ropeScale = 1f / factor;
            }
            default -> throw f.error("key " + p + "rope.scaling.type: '" + scaling + "' is not supported (none, linear)");
        }
        // Gemma's query_pre_attn_scalar is not stored in GGUF; as llama.cpp does, the 27B variants (46 layers for
        // Gemma 2, 62 for Gemma 3) scale by 1/sqrt(dim/heads), all others by 1/sqrt(head dim).
        boolean gemma27b = (arch.equals("gemma2") && layers == 46) || (arch.equals("gemma3") && layers == 62);
        float attentionScale = (float) (1.0 / Math.sqrt(gemma27b ? (double) dim / heads : headDim));
        float attnSoftcap = f.getFloat(p + "attn_logit_softcapping", 0f);
        float finalSoftcap = f.getFloat(p + "final_logit_softcapping", 0f);
        if (attnSoftcap < 0 || finalSoftcap < 0) throw f.error("key " + p + "*_logit_softcapping: negative value");
        int window = family.slidingWindowPeriod() > 0 && f.has(p + "attention.sliding_window")
                ? f.getPositiveInt(p + "attention.sliding_window") : 0;
        // Gemma 3's local layers use base 10000 without scaling (llama.cpp fixes it the same way; GGUF has no key)
        boolean gemma3 = arch.equals("gemma3");
        float ropeLocalBase = gemma3 ? 10000f : ropeBase, ropeLocalScale = gemma3 ? 1f : ropeScale;
        return new ModelConfig(family, f.getString("general.name", arch), dim, layers, heads, kvHeads, headDim, ffnDim, vocab,
                ctx, eps, ropeBase, ropeDim, ropeScale, attentionScale, attnSoftcap, finalSoftcap, window, ropeLocalBase, ropeLocalScale);
    }

    /** Some files store per-layer values as an array; the engine supports them when all layers agree. */
    private static int uniformPerLayer(GgufFile f, String key, int layers) {
        GgufValue v = f.metadata().get(key);
        if (v != null && v.value() instanceof GgufArray) {
            int[] values = f.getIntArray(key);
            if (values.length != layers) throw f.error("key " + key + ": " + values.length + " values for " + layers + " layers");
            for (int x : values) if (x != values[0]) throw f.error("key " + key + ": differs between layers (not supported)");
            if (values[0] <= 0) throw f.error("key " + key + ": value " + values[0] + " out of range");
            return values[0];
        }
        return f.getPositiveInt(key);
    }

    public int kvDim() { return kvHeads * headDim; }
    public int qDim() { return heads * headDim; }
    public String arch() { return family.name(); }
}
