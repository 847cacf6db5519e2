package dev.parley.inference.engine;

/** A submitted request. */
public interface RequestHandle {
    long id();

    /** Stops the request at the next step; its listener gets onComplete with {@link FinishReason#CANCELLED}. Idempotent. */
    void cancel();

    boolean isDone();
}
