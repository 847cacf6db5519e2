package dev.parley.server.chat;

/** Error kinds, spelled as the WebSocket protocol spells them, with the HTTP status the OpenAI API uses for each. */
public enum ErrorCode {
    BAD_REQUEST("bad_request", 400),
    UNAUTHORIZED("unauthorized", 401),
    NOT_FOUND("not_found", 404),
    CONTEXT_OVERFLOW("context_overflow", 400),
    OVERLOADED("overloaded", 429),
    /** A dependency the request needs (the Redis session store) cannot be reached; retry later. */
    UNAVAILABLE("unavailable", 503),
    INTERNAL("internal", 500);

    public final String wire;
    public final int httpStatus;

    ErrorCode(String wire, int httpStatus) {
        this.wire = wire;
        this.httpStatus = httpStatus;
    }
}
