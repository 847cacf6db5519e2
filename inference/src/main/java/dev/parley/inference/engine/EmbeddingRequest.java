package dev.parley.inference.engine;

import dev.parley.inference.model.Pooling;

/**
 * What to embed: the input's token ids (BOS included when the model wants it) and how its final normed hidden states
 * are pooled into one vector.
 */
public record EmbeddingRequest(int[] tokens, Pooling pooling) {
    public EmbeddingRequest {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("the input is empty");
        if (pooling == null) throw new IllegalArgumentException("a pooling is required");
        tokens = tokens.clone();
    }
}
