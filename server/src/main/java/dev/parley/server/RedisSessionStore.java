package dev.parley.server;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sessions shared by replicas through Redis: one key per session ({@code parley:session:ID}) holding its history and
 * last parameters as JSON ({@link SessionCodec}), expiring after the session TTL, which every lookup and save
 * refreshes. The stored history is bounded because a turn is only committed once the whole conversation fitted the
 * model's context. Any replica can resume a session: the one whose engine still caches the prefix continues
 * cheaply, another re-prefills the history. The one-request-at-a-time reservation stays per replica ({@link LiveSessions}).
 */
final class RedisSessionStore implements SessionStore {
    private static final String KEY_PREFIX = "parley:session:";
    /** A store that does not answer within this is reported unavailable, so a session operation never hangs. */
    static final long TIMEOUT_MS = 3000;
    private static final long RETRY_AFTER_MS = 1000;

    private final Redis redis;
    private final String uri;
    private final LiveSessions live;
    private final String ttlSeconds;

    RedisSessionStore(Vertx vertx, String uri, int maxLive, Duration ttl) {
        this.uri = uri.replaceFirst("//[^@/]*@", "//"); // error messages must not show a password
        this.live = new LiveSessions(vertx, maxLive, ttl);
        this.ttlSeconds = Long.toString(Math.max(1, ttl.toSeconds()));
        this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(uri)
                .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) TIMEOUT_MS).setTcpKeepAlive(true))
                .setMaxPoolSize(16).setMaxPoolWaiting(1024));
    }

    /** Written with NX, so an id collision (never expected: 128 random bits) cannot overwrite someone's session. */
    @Override public Future<Session> create() {
        Session s;
        try {
            s = live.create();
        } catch (ChatException e) {
            return Future.failedFuture(e);
        }
        Request set = Request.cmd(Command.SET).arg(key(s.id())).arg(SessionCodec.encode(s.state())).arg("NX").arg("EX").arg(ttlSeconds);
        return send(set).compose(r -> {
            if (r == null) {
                live.forget(s.id());
                return Future.failedFuture(new ChatException(ErrorCode.INTERNAL, "session id collision in the store; retry"));
            }
            return Future.succeededFuture(s);
        }, e -> {
            live.forget(s.id());
            return Future.failedFuture(e);
        });
    }

    /** GETEX reads the latest state and refreshes the TTL in one round trip. */
    @Override public Future<Session> get(String id) {
        return send(Request.cmd(Command.GETEX).arg(key(id)).arg("EX").arg(ttlSeconds)).compose(r -> {
            if (r == null) {
                live.forget(id);
                return Future.failedFuture(SessionStores.notFound(id));
            }
            try {
                Session s = live.findOrAdd(id);
                s.restoreUnlessBusy(SessionCodec.decode(r.toString()));
                return Future.succeededFuture(s);
            } catch (ChatException e) {
                return Future.failedFuture(e);
            }
        });
    }

    @Override public Future<Void> save(Session session) {
        Request set = Request.cmd(Command.SET).arg(key(session.id())).arg(SessionCodec.encode(session.state())).arg("EX").arg(ttlSeconds);
        return send(set).mapEmpty();
    }

    @Override public int size() { return live.size(); }

    @Override public Future<Void> close() {
        live.close();
        redis.close();
        return Future.succeededFuture();
    }

    /** One command, bounded in time; any transport failure becomes the client-facing {@code unavailable} error. */
    private Future<Response> send(Request request) {
        return redis.send(request).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).recover(e -> Future.failedFuture(
                new ChatException(ErrorCode.UNAVAILABLE, "the session store (" + uri + ") is unavailable: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "; retry later", RETRY_AFTER_MS)));
    }

    private static String key(String id) { return KEY_PREFIX + id; }
}
