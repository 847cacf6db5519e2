package dev.parley.inference.model;

/** The gate nonlinearity of the gated feed-forward block. */
public enum Activation {
    /** SwiGLU: silu(gate) · up (Llama, Qwen, Phi-3). */
    SILU,
    /** GeGLU with GELU's tanh approximation (Gemma). */
    GELU_TANH
}
