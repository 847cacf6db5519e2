package dev.parley.inference.engine;

/** Why a request stopped generating. */
public enum FinishReason {
    /** max_tokens reached */
    LENGTH,
    /** an end-of-generation token or a stop string */
    STOP,
    /** the model's context window is full */
    CONTEXT_FULL,
    /** the client cancelled */
    CANCELLED
}
