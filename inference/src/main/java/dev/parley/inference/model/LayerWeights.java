package dev.parley.inference.model;

import dev.parley.inference.tensor.WeightMatrix;

/**
 * One transformer block's weights. Matrices stay in the mapped file; the small norm and bias vectors are held as
 * float arrays. Optional parts are null: Q/K/V biases (Qwen2), per-head Q/K RMSNorm (Qwen3, Gemma 3), RMSNorms of
 * the attention and feed-forward outputs before the residual add (Gemma's "sandwich" norms).
 */
public record LayerWeights(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, float[] bq, float[] bk,
                           float[] bv, float[] qNorm, float[] kNorm, WeightMatrix wo, float[] attnPostNorm, float[] ffnNorm,
                           WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] ffnPostNorm) {}
