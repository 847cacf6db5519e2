package dev.parley.inference.engine;

import dev.parley.inference.constrain.GrammarCache;
import dev.parley.inference.model.Model;

/**
 * The request API the server uses: submit a prompt, receive tokens as they are sampled, cancel. The server never
 * calls the model directly, so how requests are scheduled and batched can change underneath it.
 */
public interface InferenceEngine extends AutoCloseable {
    /**
     * Queues a request. Throws {@link IllegalArgumentException} for a request that can never run (prompt longer than
     * the context, token ids out of range) and {@link EngineOverloadedException} when the queue is full.
     */
    RequestHandle submit(GenerationRequest request, GenerationListener listener);

    /**
     * Queues a request for several answers to one prompt, one per listener (OpenAI's {@code n}): the prompt is
     * computed once, then each answer forks from it sharing its KV blocks and samples on its own, with the seed
     * {@code seed + i} for answer i when the request has a seed. Cancelling the handle cancels all of them. Throws
     * like {@link #submit(GenerationRequest, GenerationListener)}, and for more answers than the engine runs at once.
     */
    RequestHandle submitChoices(GenerationRequest request, java.util.List<? extends GenerationListener> choices);

    /**
     * Queues an embedding of {@code request}'s tokens; the listener gets the pooled, normalized vector. Throws like
     * {@link #submit} (an input longer than the context, token ids out of range, a full queue).
     */
    RequestHandle embed(EmbeddingRequest request, EmbeddingListener listener);

    Model model();

    /**
     * The model's compiled grammars: {@code grammars().constraint(GrammarSource.jsonSchema(schema))} gives the
     * constraint a {@link GenerationRequest} carries (compiled once per source, blocking: call it off an event loop).
     */
    GrammarCache grammars();

    /** Requests currently generating. */
    int runningCount();

    /** Requests accepted but not yet started. */
    int waitingCount();

    /** Counters since start (read without stopping the engine; each field is current, not all from one instant). */
    EngineStats stats();

    /** Stops accepting work, cancels what is queued or running, and stops the worker. */
    @Override void close();
}
