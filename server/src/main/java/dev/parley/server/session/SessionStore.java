package dev.parley.server.session;

import io.vertx.core.Future;

/**
 * Where chat sessions live. Lookups are asynchronous because a shared store answers over the network; callers must
 * not block an event loop on them. A failed future carries a {@link ChatException} the client can be shown
 * ({@code not_found}, {@code bad_request} for a busy session, {@code overloaded}, or {@code unavailable} when the store
 * cannot be reached).
 *
 * <p>A request works on a session between {@link #reserve}/{@link #create} and {@link #release}: one request at a
 * time per session, on every replica sharing the store, and the state it starts from is the latest saved one.
 */
public interface SessionStore {
    /** A new, empty session with an unguessable id, reserved for {@code requestId}. */
    Future<Session> create(String requestId);

    /**
     * The session with this id, reserved for {@code requestId}, with its latest saved state and its TTL refreshed.
     * Fails with {@code bad_request} while another request (here or on another replica) works on it.
     */
    Future<Session> reserve(String id, String requestId);

    /**
     * Ends {@code requestId}'s reservation; with {@code save}, persists the session's state (a finished turn) first.
     * Completes once that is durable and the session is free everywhere, so a client told after it may go on at once,
     * on any replica. Fails only when the save failed; a failed release alone is logged (the claim then lapses).
     */
    Future<Void> release(Session session, String requestId, boolean save);

    /**
     * Like {@link #reserve}, but a session the store does not have is created empty under this id (a client-proposed
     * id, already checked by {@link SessionIds#requireProposable}). Atomic on every replica sharing the store: of two
     * requests creating the same id at once, one gets the new session and the other finds it busy.
     */
    Future<Session> reserveOrCreate(String id, String requestId);

    /** The session with this id and its latest saved state, without reserving it (for reading it). */
    Future<Session> get(String id);

    /** Sessions this replica holds objects for. */
    int size();

    Future<Void> close();
}
