package dev.parley.server.chat;

import dev.parley.server.model.ChatMessage;

/** Checks of the conversation turns clients send, the same for the WebSocket and the OpenAI API. */
public final class Messages {
    private Messages() {}

    /** Checks a message from a client; the message names the offending field for the error frame. */
    public static void validate(ChatMessage m, String where) {
        if (m == null) throw new ChatException(ErrorCode.BAD_REQUEST, where + " is null");
        if (m.role() == null) throw new ChatException(ErrorCode.BAD_REQUEST, where + ".role is missing");
        if (!m.role().equals("system") && !m.role().equals("user") && !m.role().equals("assistant"))
            throw new ChatException(ErrorCode.BAD_REQUEST, where + ".role must be system, user or assistant (got '" + m.role() + "')");
        if (m.content() == null) throw new ChatException(ErrorCode.BAD_REQUEST, where + ".content is missing");
    }
}
