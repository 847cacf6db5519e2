package dev.parley.inference.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the read-only reference data ({@code ../shared}) through the {@code parley.shared} system property.
 * Tests that need it are skipped with a clear message on a fresh clone without it; CI sets
 * {@code parley.shared.required=true}, which makes a missing folder a failure instead.
 */
public final class Shared {
    private Shared() {}

    public static Path root() {
        Path root = Path.of(System.getProperty("parley.shared", "../shared")).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("oracle"))) {
            String msg = "reference data not found at " + root + " (set -Dparley.shared=PATH); skipping";
            if (Boolean.getBoolean("parley.shared.required")) throw new IllegalStateException(msg.replace("; skipping", ""));
            Assumptions.abort(msg);
        }
        return root;
    }

    public static Path path(String relative) {
        return root().resolve(relative);
    }
}
