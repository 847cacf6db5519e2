package dev.parley.inference.engine;

/**
 * Receives a request's output. Called on an engine thread, in order: any number of {@link #onToken}, then exactly
 * one of {@link #onComplete} or {@link #onError}. Implementations must return quickly (hand work to their own
 * thread or event loop); a listener that throws has its request cancelled.
 */
public interface GenerationListener {
    void onToken(TokenEvent event);

    void onComplete(Completion completion);

    void onError(RuntimeException error);
}
