package dev.parley.server.chat;

import dev.parley.inference.template.TemplateException;
import dev.parley.server.http.Json;
import java.lang.System.Logger.Level;

/**
 * The one place where a failure becomes the error a client sees (the role of llama.cpp's {@code ex_wrapper}): a
 * {@link ChatException} as it is, the client's own malformed input as {@code bad_request}, and anything else as
 * {@code internal}, logged, since it is a server fault. Each API then only spells the result its own way.
 */
public final class ChatErrors {
    private static final System.Logger LOG = System.getLogger(ChatErrors.class.getName());

    private ChatErrors() {}

    /** @param doing what the server was doing, for the message of an internal error (e.g. "saving the turn failed") */
    public static ChatException of(Throwable error, String doing) {
        if (error instanceof ChatException e) return e;
        if (error instanceof Json.InvalidJson e) return new ChatException(ErrorCode.BAD_REQUEST, e.getMessage());
        // e.g. a template's raise_exception("roles must alternate"): the client's conversation is at fault
        if (error instanceof TemplateException e) return new ChatException(ErrorCode.BAD_REQUEST, "chat template: " + e.getMessage());
        LOG.log(Level.WARNING, doing, error);
        return new ChatException(ErrorCode.INTERNAL, doing + ": " + (error.getMessage() != null ? error.getMessage() : error));
    }
}
