package dev.parley.inference.engine;

/**
 * Receives an embedding request's outcome, on an engine thread: exactly one of {@link #onEmbedding} or {@link #onError}
 * (a cancelled request gets {@link java.util.concurrent.CancellationException}). Implementations must return quickly.
 */
public interface EmbeddingListener {
    /** The pooled, L2-normalized vector (owned by the receiver) of an input of {@code tokens} tokens. */
    void onEmbedding(float[] vector, int tokens);

    void onError(RuntimeException error);
}
