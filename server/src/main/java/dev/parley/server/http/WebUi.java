package dev.parley.server.http;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * Serves the browser chat UI (module web-client) at {@code /} from the class path. Routed after the APIs, so it only
 * answers GET/HEAD requests no API route took. The page needs no API key: it holds no data, and it asks for the key
 * itself when the WebSocket upgrade is refused.
 */
public final class WebUi {
    /** Where web-client's jar keeps the bundled page. */
    static final String RESOURCE_ROOT = "META-INF/resources/parley-ui";

    private WebUi() {}

    /** The page's files; the route table puts {@link #noSniff} in front. */
    public static StaticHandler files() {
        return StaticHandler.create(RESOURCE_ROOT)
                .setIndexPage("index.html")
                // The bundle's file names carry no content hash: browsers revalidate (cheap 304s) instead of
                // running yesterday's app.js after an upgrade.
                .setMaxAgeSeconds(0)
                .setDirectoryListing(false);
    }

    /** Browsers must not guess a content type the server did not send. */
    public static void noSniff(RoutingContext ctx) {
        ctx.response().putHeader("X-Content-Type-Options", "nosniff");
        ctx.next();
    }
}
