package dev.parley.server.http;

import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * API-key checks: {@code Authorization: Bearer KEY}, or for browsers' WebSockets (no custom headers) {@code ?api_key=KEY}
 * or the {@code parley.api-key.KEY} subprotocol ({@link UpgradeGuard}).
 */
public final class ApiKeys {
    private ApiKeys() {}

    /** One key per line; blank lines and lines starting with '#' are ignored. An existing file with no key is an error. */
    public static Set<String> load(Path file) {
        Set<String> keys = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String key = line.strip();
                if (!key.isEmpty() && !key.startsWith("#")) keys.add(key);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot read API key file " + file + ": " + e.getMessage(), e));
        }
        if (keys.isEmpty()) throw new IllegalArgumentException("API key file " + file + " has no key");
        return keys;
    }

    /** Whether the request carries an accepted key (always true when no keys are configured). */
    public static boolean allows(Set<String> keys, HttpServerRequest request, boolean queryParameterAllowed) {
        if (keys.isEmpty()) return true;
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && matches(keys, header.substring(7).strip())) return true;
        return queryParameterAllowed && matches(keys, request.getParam("api_key"));
    }

    /** Constant-time per key, so response timing does not reveal how much of a guess was right. */
    public static boolean matches(Set<String> keys, String candidate) {
        if (candidate == null || candidate.isEmpty()) return false;
        byte[] given = candidate.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (String key : keys) ok |= MessageDigest.isEqual(key.getBytes(StandardCharsets.UTF_8), given);
        return ok;
    }
}
