package dev.parley.server.ws;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.http.ApiKeys;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks a WebSocket upgrade before it is accepted: the Origin allow-list (browsers send Origin; a page on another
 * site must not drive a user's local server) and the API key, which browsers can only send as a query parameter or
 * inside {@code Sec-WebSocket-Protocol}, the one header their WebSocket API lets them set.
 *
 * <p>Subprotocols: a client lists {@code parley.v1} and {@code parley.api-key.KEY}; the server answers with
 * {@code parley.v1}, so the key is never echoed. (A browser fails the connection unless the server echoes one of the
 * listed protocols, so a client that lists only the key protocol gets that one back.)
 */
public final class UpgradeGuard {
    static final String PROTOCOL = "parley.v1";
    static final String KEY_PROTOCOL_PREFIX = "parley.api-key.";

    /** Why an upgrade is refused: the HTTP status and a message for the response body. */
    public record Refusal(int status, String message) {}

    private UpgradeGuard() {}

    /** The requested subprotocols, in the client's order. */
    public static List<String> requestedProtocols(HttpServerRequest request) {
        List<String> out = new ArrayList<>();
        for (String header : request.headers().getAll("Sec-WebSocket-Protocol"))
            for (String p : header.split(",")) if (!p.isBlank()) out.add(p.strip());
        return out;
    }

    /** The key carried in a {@code parley.api-key.KEY} subprotocol, or null. */
    static String protocolKey(List<String> requested) {
        for (String p : requested) if (p.startsWith(KEY_PROTOCOL_PREFIX)) return p.substring(KEY_PROTOCOL_PREFIX.length());
        return null;
    }

    /** The subprotocol to echo: parley.v1 when listed, else the key protocol, else none (null). */
    public static String selectProtocol(List<String> requested) {
        if (requested.contains(PROTOCOL)) return PROTOCOL;
        for (String p : requested) if (p.startsWith(KEY_PROTOCOL_PREFIX)) return p;
        return null;
    }

    /** Null when the upgrade may proceed. */
    public static Refusal check(ServerConfig.Auth auth, HttpServerRequest request) {
        String origin = request.getHeader("Origin");
        if (origin != null && !originAllowed(auth.allowedOrigins(), origin, request.getHeader("Host")))
            return new Refusal(403, "origin " + origin + " is not allowed (see --allowed-origins)");
        if (!ApiKeys.allows(auth.apiKeys(), request, true) && !ApiKeys.matches(auth.apiKeys(), protocolKey(requestedProtocols(request))))
            return new Refusal(401, "missing or invalid API key");
        return null;
    }

    /**
     * {@code allowed} empty: the page's own server (Origin's host:port equals the Host header) and any page served from
     * localhost, 127.0.0.1 or [::1]. Otherwise exactly the listed origins ({@code scheme://host[:port]}), or {@code *}
     * for any. A request without Origin (not a browser) is not subject to this check.
     */
    public static boolean originAllowed(Set<String> allowed, String origin, String host) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        if (!allowed.isEmpty()) return allowed.contains("*") || allowed.contains(stripSlash(o));
        URI uri;
        try {
            uri = URI.create(o);
        } catch (IllegalArgumentException e) {
            return false; // includes the literal "null" origin of sandboxed pages and files
        }
        if (uri.getHost() == null) return false;
        String h = uri.getHost();
        if (h.equals("localhost") || h.equals("127.0.0.1") || h.equals("[::1]")) return true;
        if (host == null) return false;
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        String hostHeader = host.strip().toLowerCase(Locale.ROOT);
        return hostHeader.equals(h + ":" + port) || (hostHeader.equals(h) && port == ("https".equals(uri.getScheme()) ? 443 : 80));
    }

    private static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
