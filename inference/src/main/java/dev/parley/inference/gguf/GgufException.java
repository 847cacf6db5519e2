package dev.parley.inference.gguf;

/** A GGUF file that cannot be used: the message is one line naming the file, the key or tensor, and the problem. */
public final class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(oneLine(message), null, false, false);
    }

    private static String oneLine(String message) {
        StringBuilder sb = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    /** A name read from the file, cut to a length fit for a message. */
    public static String quote(String name) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < name.length() && sb.length() < 80; i++) {
            char c = name.charAt(i);
            sb.append(c);
        }
        if (sb.length() >= 80) sb.append("...");
        return sb.toString();
    }
}
