package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufArray;
import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;

/**
 * Hyper-parameters of a transformer, read from GGUF metadata ({@code <arch>.*} keys) with llama.cpp's defaults.
 *
 * @param headDim     size of one query/key head
 * @param ropeDim     number of leading head dimensions RoPE rotates
 * @param ropeScale   linear position scale (1/factor for "linear" rope scaling; 1 otherwise)
 */
public record ModelConfig(ArchitectureFamily family, String name, int dim, int layers, int heads, int kvHeads, int headDim,
                          int ffnDim, int vocabSize, int contextLength, float rmsEps, float ropeBase, int ropeDim,
                          float ropeScale) {

    public static ModelConfig fromGguf(GgufFile f) {
        String arch = f.getString("general.architecture");
        ArchitectureFamily family = ArchitectureFamily.byName(arch);
        if (family == null) throw f.error("unsupported architecture '" + arch + "' (supported: " + String.join(", ", ArchitectureFamily.supported()) + ")");
        String p = arch + ".";
        int dim = f.getPositiveInt(p + "embedding_length");
        int layers = f.getPositiveInt(p + "block_count");
        int heads = f.getPositiveInt(p + "attention.head_count");
        int kvHeads = f.has(p + "attention.head_count_kv") ? uniformPerLayer(f, p + "attention.head_count_kv", layers) : heads;
        if (heads % kvHeads != 0) throw f.error("key " + p + "attention.head_count_kv: " + heads + " heads are not a multiple of " + kvHeads + " kv heads");
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
        if (ropeDim > headDim || ropeDim % 2 != 0) throw f.error("key " + p + "rope.dimension_count: " + ropeDim + " does not fit head size " + headDim);
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
        return new ModelConfig(family, f.getString("general.name", arch), dim, layers, heads, kvHeads, headDim, ffnDim, vocab,
                ctx, eps, ropeBase, ropeDim, ropeScale);
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
