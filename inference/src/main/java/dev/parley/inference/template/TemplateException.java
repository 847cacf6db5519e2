package dev.parley.inference.template;

/**
 * A chat template could not be compiled or refused to render. When the template itself called
 * {@code raise_exception(msg)}, the message is {@code msg} verbatim, so callers can show it to users.
 */
public final class TemplateException extends RuntimeException {
    public TemplateException(String message) {
        super(message);
    }

    public TemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
