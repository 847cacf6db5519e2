package dev.parley.server;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * Serves the browser chat UI (module web-client) at {@code /} from the class path. Mounted after the APIs, so it only
 * answers GET/HEAD requests no API route took. The page needs no API key: it holds no data, and it asks for the key
 * itself when the WebSocket upgrade is refused.
 */
final class WebUi {
    /** Where web-client's jar keeps the bundled page. */
    static final String RESOURCE_ROOT = "META-INF/resources/parley-ui";

    private WebUi() {}

    static void mount(Router router) {
        StaticHandler files = StaticHandler.create(RESOURCE_ROOT)
                .setIndexPage("index.html")
                // The bundle's file names carry no content hash: browsers revalidate (cheap 304s) instead of
                // running yesterday's app.js after an upgrade.
                .setMaxAgeSeconds(0)
                .setDirectoryListing(false);
        router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
            ctx.response().putHeader("X-Content-Type-Options", "nosniff");
            ctx.next();
        }).handler(files);
    }
}
