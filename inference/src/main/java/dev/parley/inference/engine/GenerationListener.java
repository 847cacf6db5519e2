package dev.parley.inference.engine;

/**
 * Receives a request's output. Called on an engine thread, in order: at most one {@link #onAdmitted}, any number
 * of {@link #onToken}, then exactly one of {@link #onComplete} or {@link #onError}. Implementations must return
 * quickly (hand work to their own thread or event loop); a listener that throws has its request cancelled.
 */
public interface GenerationListener {
    /**
     * The request joined the running batch for the first time (before its first token): {@code prefixHitTokens}
     * prompt tokens were found in the prefix cache and will not be computed, after {@code queueNanos} waiting since
     * submit. Not called again when a preempted request is readmitted.
     */
    default void onAdmitted(int prefixHitTokens, long queueNanos) {}

    void onToken(TokenEvent event);

    void onComplete(Completion completion);

    void onError(RuntimeException error);
}
