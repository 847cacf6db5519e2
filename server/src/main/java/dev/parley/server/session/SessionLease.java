package dev.parley.server.session;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.function.Supplier;

/**
 * A held session lease being kept alive: every third of its TTL the owner's token re-arms the TTL (compare-and-expire),
 * so a long generation keeps its session while a dead replica's lease lapses. A renewal that finds another token, or
 * none, stops renewing: the release then sees it too, and refuses to save over whoever holds the session now.
 */
final class SessionLease {
    private static final System.Logger LOG = System.getLogger(SessionLease.class.getName());
    /** KEYS: lease. ARGV: token, lease ms. 1 = renewed, 0 = not ours any more. */
    static final RedisScript RENEW = new RedisScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
            return 0""");

    private final String token;
    private final Vertx vertx;
    private final long timer;
    private volatile boolean stopped;

    private SessionLease(Vertx vertx, String token, long periodMs, Supplier<Future<Boolean>> renew, String what) {
        this.vertx = vertx;
        this.token = token;
        this.timer = vertx.setPeriodic(periodMs, t -> {
            if (stopped) return;
            renew.get().onComplete(ar -> {
                if (stopped) return;
                if (ar.failed()) {
                    LOG.log(Level.INFO, what + ": renewing the lease failed (retried): " + ar.cause().getMessage());
                } else if (!ar.result()) {
                    LOG.log(Level.WARNING, what + ": the lease lapsed while its request ran");
                    stop();
                }
            });
        });
    }

    static SessionLease start(Vertx vertx, String token, long ttlMs, Supplier<Future<Boolean>> renew, String what) {
        return new SessionLease(vertx, token, Math.max(50, ttlMs / 3), renew, what);
    }

    String token() { return token; }

    void stop() {
        stopped = true;
        vertx.cancelTimer(timer);
    }
}
