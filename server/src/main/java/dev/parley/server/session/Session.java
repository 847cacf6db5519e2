package dev.parley.server.session;

import dev.parley.inference.sampling.SamplingParams;
import dev.parley.server.model.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * A WebSocket chat session: the conversation so far, the settings of its last request and the LoRA adapter it chats
 * with (null: the base model; kept until a request names another). Sessions can be resumed
 * from another socket (another event loop), so every method is synchronized. One request at a time: a session is
 * reserved by a request id while it generates. Its history is bounded by the model's context: a turn is committed
 * only once its whole conversation fitted the context and the engine accepted it.
 */
public final class Session {
    private final String id;
    private final List<ChatMessage> history = new ArrayList<>();
    private SamplingParams lastParams;
    private String adapter;
    private String busyWith;
    private long lastUsedNanos = System.nanoTime();

    Session(String id) {
        this.id = id;
    }

    public String id() { return id; }

    public synchronized List<ChatMessage> history() { return List.copyOf(history); }

    public synchronized SamplingParams lastParams() { return lastParams; }

    /** The LoRA adapter of the session's last request; null = the base model. */
    public synchronized String adapter() { return adapter; }

    /** Reserves the session for a request; false when another request is generating on it. */
    synchronized boolean reserve(String requestId) {
        touch();
        if (busyWith != null) return false;
        busyWith = requestId;
        return true;
    }

    synchronized String busyWith() { return busyWith; }

    synchronized void release(String requestId) {
        if (requestId.equals(busyWith)) busyWith = null;
        touch();
    }

    /** The conversation the engine accepted (the new turn included) becomes the session's history. */
    public synchronized void commit(List<ChatMessage> conversation, SamplingParams params, String adapter) {
        history.clear();
        history.addAll(conversation);
        lastParams = params;
        this.adapter = adapter;
    }

    public synchronized void appendAssistant(String text) {
        history.add(new ChatMessage("assistant", text));
    }

    /** The assistant's turn as it was (e.g. with the tool calls it made). */
    public synchronized void appendAssistant(ChatMessage reply) {
        history.add(reply);
    }

    /** What a shared store keeps of a session: the conversation, the settings of its last request and its adapter. */
    record State(List<ChatMessage> history, SamplingParams lastParams, String adapter) {
        State {
            history = List.copyOf(history);
        }

        State(List<ChatMessage> history, SamplingParams lastParams) {
            this(history, lastParams, null);
        }
    }

    synchronized State state() { return new State(history, lastParams, adapter); }

    /**
     * Takes the state another replica may have advanced. A session generating here keeps its own (newer) state; the
     * caller's reservation then fails as busy, as it would on a single server.
     */
    synchronized void restoreUnlessBusy(State state) {
        if (busyWith != null) return;
        history.clear();
        history.addAll(state.history());
        lastParams = state.lastParams();
        adapter = state.adapter();
        touch();
    }

    /** Takes the saved state (the caller holds the session on every replica, so the store's copy is the latest). */
    synchronized void restore(State state) {
        history.clear();
        history.addAll(state.history());
        lastParams = state.lastParams();
        adapter = state.adapter();
        touch();
    }

    synchronized void touch() { lastUsedNanos = System.nanoTime(); }

    synchronized boolean idleLongerThan(long nanos) {
        return busyWith == null && System.nanoTime() - lastUsedNanos > nanos;
    }
}
