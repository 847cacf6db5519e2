package dev.parley.inference.train;

/** The shape of a Llama model the trainer builds (head size dim/heads, RMSNorm eps 1e-5, RoPE base 10000, tied embeddings). */
public record LlamaConfig(int vocab, int dim, int layers, int heads, int kvHeads, int ffn, int context) {
    public static final float RMS_EPS = 1e-5f;
    public static final float ROPE_BASE = 10000f;

    public LlamaConfig {
        if (dim % heads != 0) throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
        if (heads % kvHeads != 0) throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("head size " + dim / heads + " must be even for RoPE");
    }

    public int headDim() { return dim / heads; }
    public int kvDim() { return kvHeads * headDim(); }

    public long parameterCount() {
        long perLayer = 2L * dim + 2L * dim * dim + 2L * dim * kvDim() + 3L * dim * ffn;
        return (long) vocab * dim + dim + layers * perLayer;
    }
}
