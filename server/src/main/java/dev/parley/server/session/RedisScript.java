package dev.parley.server.session;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), so each call sends a 40-character digest instead of the script.
 * Redis keeps loaded scripts until a restart or {@code SCRIPT FLUSH}; a call that finds its script gone
 * ({@code NOSCRIPT}) loads it ({@code SCRIPT LOAD}) and runs it again.
 */
final class RedisScript {
    private final String source;
    private final String sha;

    RedisScript(String source) {
        this.source = source;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    String sha() { return sha; }

    /** Runs scripts on one client; not bounded in time (the caller bounds the returned future). */
    static final class Runner {
        private final Redis redis;

        Runner(Redis redis) {
            this.redis = redis;
        }

        Future<Response> call(RedisScript script, List<String> keys, Object... args) {
            return redis.send(request(script, keys, args)).recover(e -> !isNoScript(e) ? Future.failedFuture(e)
                    : redis.send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(script.source))
                            .compose(loaded -> redis.send(request(script, keys, args))));
        }

        private static Request request(RedisScript script, List<String> keys, Object... args) {
            Request request = Request.cmd(Command.EVALSHA).arg(script.sha).arg(keys.size());
            for (String key : keys) request.arg(key);
            for (Object arg : args) request.arg(String.valueOf(arg));
            return request;
        }

        private static boolean isNoScript(Throwable error) {
            return error.getMessage() != null && error.getMessage().startsWith("NOSCRIPT");
        }
    }
}
