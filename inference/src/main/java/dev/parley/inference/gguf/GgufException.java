package dev.parley.inference.gguf;

/** A GGUF file that cannot be used: the message is one line naming the file, the key or tensor, and the problem. */
public final class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(message, null, false, false);
    }
}
