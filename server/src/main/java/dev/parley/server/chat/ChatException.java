package dev.parley.server.chat;

/** A request the server refuses, with the code clients see; {@code retryAfterMs} is set for overload and an unavailable session store. */
public final class ChatException extends RuntimeException {
    public final ErrorCode code;
    public final Long retryAfterMs;

    public ChatException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ChatException(ErrorCode code, String message, Long retryAfterMs) {
        super(message, null, false, false);
        this.code = code;
        this.retryAfterMs = retryAfterMs;
    }
}
