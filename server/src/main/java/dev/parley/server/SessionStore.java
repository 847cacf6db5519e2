package dev.parley.server;

import io.vertx.core.Future;

/**
 * Where chat sessions live. Lookups are asynchronous because a shared store answers over the network; callers must
 * not block an event loop on them. A failed future carries a {@link ChatException} the client can be shown
 * ({@code not_found}, {@code overloaded}, or {@code unavailable} when the store cannot be reached).
 */
interface SessionStore {
    /** A new, empty session with an unguessable id. */
    Future<Session> create();

    /** The session with this id, its latest saved state loaded, its TTL refreshed. */
    Future<Session> get(String id);

    /**
     * Persists the session's current state (a finished turn). Completes once it is durable in the store, so a reply
     * acknowledged after it is never lost to a replica going away.
     */
    Future<Void> save(Session session);

    /** Sessions this replica holds objects for. */
    int size();

    Future<Void> close();
}
