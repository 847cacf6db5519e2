package dev.parley.server.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the read-only reference data ({@code ../shared}) through the {@code parley.shared} system property (copied
 * from the inference module's test helper). Tests that need it are skipped with a clear message when it is absent;
 * CI sets {@code parley.shared.required=true}, which makes a missing folder a failure instead.
 */
public final class Shared {
    private Shared() {}

    public static Path path(String relative) {
        Path root = Path.of(System.getProperty("parley.shared", "../shared")).toAbsolutePath().normalize();
        Path p = root.resolve(relative);
        if (!Files.exists(p)) {
            String msg = relative + " not found under " + root + " (set -Dparley.shared=PATH); skipping";
            if (Boolean.getBoolean("parley.shared.required")) throw new IllegalStateException(msg.replace("; skipping", ""));
            Assumptions.abort(msg);
        }
        return p;
    }

    public static Path stories260K() {
        return path("models/stories260K/stories260K.gguf");
    }
}
