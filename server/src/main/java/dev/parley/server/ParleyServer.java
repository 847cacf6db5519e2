package dev.parley.server;

import dev.parley.server.chat.ChatService;
import dev.parley.server.chat.InFlight;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.http.Json;
import dev.parley.server.http.ServerMetrics;
import dev.parley.server.http.WebUi;
import dev.parley.server.model.ServingModel;
import dev.parley.server.openai.OpenAiApi;
import dev.parley.server.session.SessionStore;
import dev.parley.server.session.SessionStores;
import dev.parley.server.ws.ChatSocket;
import dev.parley.server.ws.UpgradeGuard;
import dev.parley.server.ws.WsFrames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP server: health, metrics, the WebSocket chat API and the OpenAI-compatible API. It listens before the
 * model is loaded, so liveness answers at once while readiness stays 503 until {@link #serve} is called.
 */
public final class ParleyServer {
    private static final System.Logger LOG = System.getLogger(ParleyServer.class.getName());
    /** After the drain timeout, how long cancelled requests get to end (and release their sessions) before the store closes. */
    private static final long CANCEL_GRACE_NANOS = 2_000_000_000L;

    private final Vertx vertx;
    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final Set<ChatSocket> sockets = ConcurrentHashMap.newKeySet();
    private final InFlight active = new InFlight();
    private volatile ChatService chat;
    private volatile boolean draining;
    private SessionStore sessions;
    private HttpServer http;

    public ParleyServer(Vertx vertx, ServerConfig config) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = new ServerMetrics(() -> chat == null ? null : chat.model());
        // Serde's first use loads its introspection registry (seconds on a cold JVM): do it here, not on an event loop.
        Json.read(Json.write(new WsFrames.Pong()).getBytes(java.nio.charset.StandardCharsets.UTF_8), WsFrames.ClientFrame.class);
    }

    /** Starts listening; returns the bound port. */
    public Future<Integer> listen() {
        sessions = SessionStores.open(vertx, config.sessions());
        Router router = Router.router(vertx);
        router.get("/health/live").handler(ctx -> ctx.response().end("ok"));
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
        router.get("/v1/chat/ws").handler(this::upgrade);
        OpenAiApi openAi = new OpenAiApi(this::chatService, config.auth(), config.streaming(), active);
        router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(config.http().maxFrameBytes()));
        router.post("/v1/*").handler(openAi::track);
        router.route("/v1/*").handler(openAi::authenticate);
        router.get("/v1/models").handler(openAi::models);
        router.post("/v1/chat/completions").handler(openAi::chatCompletions);
        router.post("/v1/completions").handler(openAi::completions);
        router.post("/v1/embeddings").handler(openAi::embeddings);
        // the browser UI answers only the GET/HEAD requests no route above took
        router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(WebUi::noSniff).handler(WebUi.files());
        HttpServerOptions options = new HttpServerOptions().setHost(config.http().host()).setPort(config.http().port())
                // The hard limit closes the socket; frames between our own limit and this one get an error frame instead.
                .setMaxWebSocketMessageSize(config.http().maxFrameBytes() * 16).setMaxWebSocketFrameSize(config.http().maxFrameBytes() * 16)
                .setWebSocketSubProtocols(List.of("*"));
        return vertx.createHttpServer(options).requestHandler(router).listen().map(server -> {
            http = server;
            return server.actualPort();
        });
    }

    /** Makes the model available: readiness turns 200 and the APIs accept work. */
    public void serve(ServingModel model) {
        chat = new ChatService(vertx, model, metrics, config.admission().maxWaitingTokens());
    }

    /** The service while it takes new work: null before the model is loaded and once a shutdown stopped taking work. */
    public ChatService chatService() {
        ChatService c = chat;
        return c != null && c.accepting() ? c : null;
    }

    public ServerMetrics metrics() { return metrics; }

    public SessionStore sessions() { return sessions; }

    private void ready(RoutingContext ctx) {
        ChatService c = chat;
        boolean ready = c != null && !draining && c.accepting();
        ctx.response().setStatusCode(ready ? 200 : 503).end(ready ? "ready" : draining ? "shutting down" : "loading model");
    }

    private void upgrade(RoutingContext ctx) {
        UpgradeGuard.Refusal refusal = UpgradeGuard.check(config.auth(), ctx.request());
        if (refusal != null) {
            if (refusal.status() == 401) ctx.response().putHeader("WWW-Authenticate", "Bearer");
            ctx.response().setStatusCode(refusal.status()).end(refusal.message());
            return;
        }
        ChatService c = chatService();
        if (c == null) {
            ctx.response().setStatusCode(503).putHeader("Retry-After", "1").end("the model is not loaded yet");
            return;
        }
        // the handshake echoes whatever this header holds (the server accepts "*"): narrow it to the one we choose
        String protocol = UpgradeGuard.selectProtocol(UpgradeGuard.requestedProtocols(ctx.request()));
        if (protocol == null) ctx.request().headers().remove("Sec-WebSocket-Protocol");
        else ctx.request().headers().set("Sec-WebSocket-Protocol", protocol);
        ctx.request().toWebSocket()
                .onSuccess(ws -> new ChatSocket(ws, vertx.getOrCreateContext(), c, sessions, config, sockets, active).start())
                .onFailure(e -> LOG.log(Level.DEBUG, "WebSocket upgrade failed: " + e));
    }

    /**
     * Graceful shutdown. Readiness turns 503 at once, but new work is still taken for the shutdown delay, so a load
     * balancer polling readiness stops sending connections here before any is refused. Then new requests, upgrades
     * and HTTP calls are refused (overloaded / 503), idle WebSockets are closed with 1001 (going away) and busy ones
     * right after their last request's final frame; requests in flight run to their end for up to the drain timeout,
     * after which whatever remains is closed (which cancels it). Blocks the calling (non-event-loop) thread.
     */
    public void shutdown() {
        draining = true;
        sleep(config.shutdown().delay().toMillis());
        ChatService c = chat;
        if (c != null) c.stopAccepting();
        for (ChatSocket s : sockets) s.drain();
        long deadline = System.nanoTime() + config.shutdown().drainTimeout().toNanos();
        while (System.nanoTime() < deadline && busy(c)) sleep(20);
        if (busy(c)) LOG.log(Level.WARNING, "drain timeout: " + active.count() + " requests still running are cancelled");
        for (ChatSocket s : sockets) s.goAway();
        // cancelled requests end at the engine's next step; letting them release their sessions spares other replicas
        // the wait for an abandoned lease to lapse
        long cancelDeadline = System.nanoTime() + CANCEL_GRACE_NANOS;
        while (System.nanoTime() < cancelDeadline && active.count() > 0) sleep(10);
        if (http != null) http.close().await();
        if (sessions != null) sessions.close().await();
    }

    /** Requests not answered to their end yet, or work the engine still has (a request may end before its engine run). */
    private boolean busy(ChatService c) {
        return active.count() > 0 || (c != null && c.model().engine().runningCount() + c.model().engine().waitingCount() > 0);
    }

    private static void sleep(long ms) {
        if (ms <= 0) return;
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
