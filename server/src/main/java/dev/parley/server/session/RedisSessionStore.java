package dev.parley.server.session;

import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Sessions shared by replicas through Redis: one key per session ({@code parley:session:ID}) holding its history and
 * last parameters as JSON ({@link SessionCodec}), expiring after the session TTL, which every lookup and save
 * refreshes. The stored history is bounded because a turn is only committed once the whole conversation fitted the
 * model's context. Any replica can resume a session: the one whose engine still caches the prefix continues
 * cheaply, another re-prefills the history.
 *
 * <p>One request at a time per session, across replicas: a request holds a lease, {@code parley:lease:ID} set with NX
 * to a token of its own and a TTL ({@link SessionLease} renews it while the request runs). Taking the lease and
 * reading the state is one script, so a request always starts from the last saved turn; saving the turn and dropping
 * the lease is another, which saves only while the token still holds the lease. A replica that dies holding a lease
 * blocks its session for at most the lease TTL. Inside a replica the {@link Session} object's reservation answers
 * first ({@link LiveSessions}), so two sockets of one replica never race for the lease.
 */
final class RedisSessionStore implements SessionStore {
    private static final System.Logger LOG = System.getLogger(RedisSessionStore.class.getName());
    private static final String KEY_PREFIX = "parley:session:";
    private static final String LEASE_PREFIX = "parley:lease:";
    /** A store that does not answer within this is reported unavailable, so a session operation never hangs. */
    static final long TIMEOUT_MS = 3000;
    private static final long RETRY_AFTER_MS = 1000;
    private static final Session.State EMPTY = new Session.State(List.of(), null);

    /** KEYS: session, lease. ARGV: state, session TTL s, token, lease ms. 1 = created (and leased), 0 = id taken. */
    private static final RedisScript CREATE = new RedisScript("""
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
              redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
              return 1
            end
            return 0""");
    /**
     * KEYS: session, lease. ARGV: token, lease ms, session TTL s, initial state ('' = do not create). {0} no session,
     * {1, pttl} busy, {2, state} leased, {3} created (and leased). Creating a client-proposed id is this same script,
     * so two replicas creating one id at once serialize in Redis: the first creates it, the second finds it leased.
     */
    private static final RedisScript RESERVE = new RedisScript("""
            local state = redis.call('GET', KEYS[1])
            if not state and ARGV[4] == '' then return {0} end
            if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return {1, redis.call('PTTL', KEYS[2])}
            end
            if not state then
              redis.call('SET', KEYS[1], ARGV[4], 'EX', ARGV[3])
              return {3}
            end
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            return {2, state}""");
    /** KEYS: session, lease. ARGV: token, state ('' = do not save), session TTL s. 1 = done, 0 = the lease was not ours. */
    private static final RedisScript RELEASE = new RedisScript("""
            if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
            if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
            redis.call('DEL', KEYS[2])
            return 1""");

    private final Vertx vertx;
    private final Redis redis;
    private final RedisScript.Runner scripts;
    private final String uri;
    private final LiveSessions live;
    private final String ttlSeconds;
    private final long leaseMs;
    /** Leases this replica holds, by session id (at most one each: the local reservation comes first). */
    private final Map<String, SessionLease> leases = new ConcurrentHashMap<>();
    private final String replicaToken;
    private final AtomicLong leaseCounter = new AtomicLong();

    RedisSessionStore(Vertx vertx, String uri, int maxLive, Duration ttl, Duration leaseTtl) {
        this.vertx = vertx;
        this.uri = uri.replaceFirst("//[^@/]*@", "//"); // error messages must not show a password
        this.live = new LiveSessions(vertx, maxLive, ttl);
        this.ttlSeconds = Long.toString(Math.max(1, ttl.toSeconds()));
        this.leaseMs = leaseTtl.toMillis();
        byte[] r = new byte[8];
        new SecureRandom().nextBytes(r);
        this.replicaToken = HexFormat.of().formatHex(r);
        this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(uri)
                .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) TIMEOUT_MS).setTcpKeepAlive(true))
                .setMaxPoolSize(16).setMaxPoolWaiting(1024));
        this.scripts = new RedisScript.Runner(redis);
    }

    /** Written with NX, so an id collision (never expected: 128 random bits) cannot overwrite someone's session. */
    @Override public Future<Session> create(String requestId) {
        Session s;
        try {
            s = live.create();
        } catch (ChatException e) {
            return Future.failedFuture(e);
        }
        s.reserve(requestId); // nobody else knows the id yet
        String token = newToken(requestId);
        return leasing(CREATE, s.id(), token, r -> r.toInteger() == 1, SessionCodec.encode(s.state()), ttlSeconds, token, leaseMs)
                .compose(r -> {
            if (r.toInteger() == 0) {
                dropLocal(s, requestId);
                return Future.failedFuture(new ChatException(ErrorCode.INTERNAL, "session id collision in the store; retry"));
            }
            hold(s.id(), token);
            return Future.succeededFuture(s);
        }, e -> {
            dropLocal(s, requestId);
            return Future.failedFuture(e);
        });
    }

    @Override public Future<Session> reserve(String id, String requestId) {
        return reserve(id, requestId, "");
    }

    @Override public Future<Session> reserveOrCreate(String id, String requestId) {
        return reserve(id, requestId, SessionCodec.encode(EMPTY));
    }

    /** {@code initialState}: what a session created under this id starts with; empty = fail as not found instead. */
    private Future<Session> reserve(String id, String requestId, String initialState) {
        Future<Session> here = live.reserveHere(id, requestId);
        if (here.failed()) return here;
        Session s = here.result();
        String token = newToken(requestId);
        return leasing(RESERVE, id, token, r -> r.get(0).toInteger() >= 2, token, leaseMs, ttlSeconds, initialState).compose(r -> {
            switch (r.get(0).toInteger()) {
                case 0 -> {
                    dropLocal(s, requestId);
                    return Future.failedFuture(SessionStores.notFound(id));
                }
                case 1 -> {
                    s.release(requestId);
                    return Future.failedFuture(SessionStores.busyElsewhere(id, Math.max(1, r.get(1).toLong())));
                }
                case 3 -> {
                    s.restore(EMPTY); // an object left here by an expired session of this id must not leak its history
                    hold(id, token);
                    return Future.succeededFuture(s);
                }
                default -> {
                    try {
                        s.restore(SessionCodec.decode(r.get(1).toString())); // we hold both: the saved state is the latest
                    } catch (RuntimeException e) {
                        hold(id, token);
                        return release(s, requestId, false).transform(x -> Future.failedFuture(
                                new ChatException(ErrorCode.INTERNAL, "session " + id + " in the store is unreadable: " + e.getMessage())));
                    }
                    hold(id, token);
                    return Future.succeededFuture(s);
                }
            }
        }, e -> {
            s.release(requestId);
            return Future.failedFuture(e);
        });
    }

    @Override public Future<Void> release(Session session, String requestId, boolean save) {
        SessionLease lease = leases.remove(session.id());
        if (lease == null) { // never leased (cannot happen for a reservation this store made); free it here at least
            session.release(requestId);
            return save ? Future.failedFuture(new ChatException(ErrorCode.INTERNAL, "session " + session.id() + " was not leased")) : Future.succeededFuture();
        }
        lease.stop();
        String state = save ? SessionCodec.encode(session.state()) : "";
        return send(scripts.call(RELEASE, keys(session.id()), lease.token(), state, ttlSeconds)).transform(ar -> {
            // the local reservation ends after the store answered: another socket here then finds the lease gone too
            session.release(requestId);
            if (ar.succeeded() && ar.result().toInteger() == 1) return Future.succeededFuture();
            if (ar.succeeded()) {
                LOG.log(Level.WARNING, "session " + session.id() + ": the lease of request " + requestId + " lapsed before it ended"
                        + (save ? "; its turn was not saved" : ""));
                return save ? Future.failedFuture(new ChatException(ErrorCode.UNAVAILABLE, "the session's lease lapsed (the session store"
                        + " was out of reach for over " + leaseMs + " ms); this reply was not saved", RETRY_AFTER_MS)) : Future.succeededFuture();
            }
            LOG.log(Level.INFO, "session " + session.id() + ": releasing the lease failed (it lapses within " + leaseMs + " ms): "
                    + ar.cause().getMessage());
            return save ? Future.failedFuture(ar.cause()) : Future.succeededFuture();
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

    @Override public int size() { return live.size(); }

    /** Leases still held (after a drain timed out) are not released: they lapse within their TTL. */
    @Override public Future<Void> close() {
        leases.values().forEach(SessionLease::stop);
        live.close();
        redis.close();
        return Future.succeededFuture();
    }

    /** Held leases, for tests. */
    int leasesHeld() { return leases.size(); }

    private void hold(String sessionId, String token) {
        leases.put(sessionId, SessionLease.start(vertx, token, leaseMs,
                () -> send(scripts.call(SessionLease.RENEW, List.of(LEASE_PREFIX + sessionId), token, leaseMs))
                        .map(r -> r.toInteger() == 1),
                "session " + sessionId));
    }

    private void dropLocal(Session s, String requestId) {
        s.release(requestId);
        live.forget(s.id());
    }

    private String newToken(String requestId) {
        return replicaToken + ":" + leaseCounter.incrementAndGet() + ":" + requestId;
    }

    private static List<String> keys(String sessionId) {
        return List.of(key(sessionId), LEASE_PREFIX + sessionId);
    }

    /**
     * A script that may take the session's lease for {@code token}, bounded in time like every command. A command
     * cannot be taken back once sent: if it runs after the caller gave up (the store stalled past the timeout), its
     * late reply shows whether it took the lease, and then the lease is released at once, so the session is not
     * blocked for the lease TTL by a request that already failed.
     */
    private Future<Response> leasing(RedisScript script, String sessionId, String token, Predicate<Response> tookLease,
                                     Object... args) {
        Future<Response> reply = scripts.call(script, keys(sessionId), args);
        return send(reply).onFailure(e -> reply.onSuccess(late -> {
            if (!tookLease.test(late)) return;
            LOG.log(Level.INFO, "session " + sessionId + ": a lease taken after its request gave up is released");
            send(scripts.call(RELEASE, keys(sessionId), token, "", ttlSeconds));
        }));
    }

    /** One command, bounded in time; any transport failure becomes the client-facing {@code unavailable} error. */
    private Future<Response> send(Request request) {
        return send(redis.send(request));
    }

    private Future<Response> send(Future<Response> reply) {
        return reply.timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).recover(e -> Future.failedFuture(
                new ChatException(ErrorCode.UNAVAILABLE, "the session store (" + uri + ") is unavailable: "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + "; retry later", RETRY_AFTER_MS)));
    }

    private static String key(String id) { return KEY_PREFIX + id; }
}
