package dev.parley.inference.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only reference data ({@code ../shared}) through the {@code parley.shared} system property.
 * Tests that need it are skipped with a clear message on a fresh clone without it; CI sets
 * {@code parley.shared.required=true}, which makes a missing folder a failure instead.
 */
public final class Shared {
    private Shared() {}

    public static Path root() {
        Path root = Path.of(System.getProperty("parley.shared", "../shared")).toAbsolutePath().normalize();
        Requirements.require(Files.isDirectory(root.resolve("oracle")), "parley.shared.required",
                "reference data not found at " + root + " (set -Dparley.shared=PATH)");
        return root;
    }

    public static Path path(String relative) {
        return root().resolve(relative);
    }

    /** The tiny real model most server tests serve. */
    public static Path stories260K() {
        return path("models/stories260K/stories260K.gguf");
    }
}
