package dev.parley.inference.engine;

/** The engine's waiting queue is full: the request was not accepted (retry later). */
public final class EngineOverloadedException extends RuntimeException {
    public EngineOverloadedException(String message) {
        super(message, null, false, false);
    }
}
