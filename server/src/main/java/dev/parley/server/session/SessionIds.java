package dev.parley.server.session;

import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Session ids. An id is the only thing needed to continue a conversation (a bearer secret), so it must be unguessable:
 * the server's own are {@code s-} + 128 random bits; a client may propose one on its first turn (so an ingress that
 * hashes on it places the conversation from its first connection), and a proposal is accepted only if it can carry as
 * much: 22 to 128 characters of {@code [A-Za-z0-9_-]} (22 base64url characters hold 132 bits). The alphabet also keeps
 * the id safe inside a Redis key and a URL query parameter without escaping. The server cannot measure the entropy of
 * a proposal; the length rule only refuses ids too short to hold enough of it.
 */
public final class SessionIds {
    static final int MIN_PROPOSED = 22, MAX_PROPOSED = 128;
    private static final Pattern PROPOSED = Pattern.compile("[A-Za-z0-9_-]{" + MIN_PROPOSED + "," + MAX_PROPOSED + "}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private SessionIds() {}

    /** A new server-assigned id. */
    static String random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "s-" + HexFormat.of().formatHex(bytes);
    }

    /** The client's proposed id, or a {@code bad_request} stating the rule it breaks. */
    public static String requireProposable(String id) {
        if (id != null && PROPOSED.matcher(id).matches()) return id;
        String got = id == null ? "none" : id.length() + " characters" + (id.chars().allMatch(SessionIds::allowed) ? "" : ", some outside that set");
        throw new ChatException(ErrorCode.BAD_REQUEST, "a proposed session id must be " + MIN_PROPOSED + " to " + MAX_PROPOSED
                + " characters of A-Z a-z 0-9 _ - (e.g. 16 random bytes in base64url); got " + got
                + ". It is the only key to the conversation: make it random.");
    }

    private static final Pattern ASSIGNED = Pattern.compile("s-[0-9a-f]{32}");

    /**
     * Whether a session with this id could exist: one the server assigned or a valid proposal. Anything else is
     * answered {@code not_found} without asking the store, so arbitrary client strings never become Redis keys.
     */
    public static boolean couldExist(String id) {
        return ASSIGNED.matcher(id).matches() || PROPOSED.matcher(id).matches();
    }

    private static boolean allowed(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-';
    }
}
