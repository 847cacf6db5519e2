package dev.parley.inference.model;

/** How RoPE pairs the dimensions of a head (ggml's rope modes). */
public enum RopeStyle {
    /** GGML "normal": rotates adjacent pairs (x[2i], x[2i+1]) — Llama, Mistral. */
    NORM,
    /** GGML "NEOX": rotates (x[i], x[i + n_rot/2]) — Qwen, Phi-3, Gemma. */
    NEOX
}
