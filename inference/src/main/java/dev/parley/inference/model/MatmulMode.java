package dev.parley.inference.model;

/** How matrix-vector products treat activations. */
public enum MatmulMode {
    /**
     * As ggml's CPU backend: activations converted to the weight's companion format first (F16 for F16 weights,
     * Q8_0/Q8_1/Q8_K for quantized ones) and dotted on integers. Reproduces llama.cpp's logits.
     */
    GGML,
    /** Weights dequantized on the fly, activations kept in F32: the exact F32 math on the dequantized model. */
    F32
}
