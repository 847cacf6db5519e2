package dev.parley.inference.testing;

import org.junit.jupiter.api.Assumptions;

/**
 * Optional test dependencies (the reference data, a browser, redis-server): a test that needs a missing one is skipped
 * with a message saying what to install, unless its {@code -D...required=true} property (set by CI) says it must be
 * there, which makes the absence a failure.
 */
public final class Requirements {
    private Requirements() {}

    /** Returns when {@code present}; else skips the test, or fails it when the system property {@code required} is true. */
    public static void require(boolean present, String required, String message) {
        if (present) return;
        if (Boolean.getBoolean(required)) throw new IllegalStateException(message);
        Assumptions.abort(message + "; skipping (-D" + required + "=true makes this a failure)");
    }
}
