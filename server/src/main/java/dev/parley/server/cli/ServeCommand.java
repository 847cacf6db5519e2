package dev.parley.server.cli;

import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.model.DefaultModel;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Pooling;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.http.ApiKeys;
import dev.parley.server.model.HfModelCache;
import dev.parley.server.model.ReasoningFormat;
import dev.parley.server.model.ServingModel;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code parley serve}: every option can also come from a {@code PARLEY_*} environment variable. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over WebSocket (/v1/chat/ws) and the OpenAI-compatible HTTP API (/v1/chat/completions).",
                "Every option can also be set by the environment variable shown in brackets or in a --config file; a flag wins over",
                "the environment, which wins over the file."})
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "settings file (flat YAML 'port: 9000' or properties 'port=9000', keys are these long option names); a flag or "
                    + "environment variable overrides it")
    Path config; // read by ConfigFile before parsing; kept here so picocli accepts and documents it
    @Option(names = "--model", paramLabel = "PATH", defaultValue = "${PARLEY_MODEL}",
            description = "GGUF model file, or hf:OWNER/REPO/FILE.gguf (downloaded once into the cache, verified); without it, the "
                    + "built-in demo model (a tiny Llama trained by Parley on the King James Bible) [PARLEY_MODEL]") String modelRef;
    @Mixin HfOptions hf;
    @Option(names = "--host", paramLabel = "H", defaultValue = "${PARLEY_HOST:-" + ServerConfig.DEFAULT_HOST + "}",
            description = "address to bind; 0.0.0.0 for every interface (default ${DEFAULT-VALUE}) [PARLEY_HOST]") String host;
    @Option(names = "--port", paramLabel = "P", defaultValue = "${PARLEY_PORT:-" + ServerConfig.DEFAULT_PORT + "}",
            description = "TCP port (default ${DEFAULT-VALUE}) [PARLEY_PORT]") int port;
    @Option(names = "--api-key-file", paramLabel = "F", defaultValue = "${PARLEY_API_KEY_FILE}",
            description = "file with accepted API keys, one per line; without it there is no authentication [PARLEY_API_KEY_FILE]")
            Path apiKeyFile;
    @Option(names = "--chat-template", paramLabel = "FILE", defaultValue = "${PARLEY_CHAT_TEMPLATE}",
            description = "Jinja chat template overriding the model's (models without one use ChatML) [PARLEY_CHAT_TEMPLATE]")
            Path chatTemplate;
    @Option(names = "--max-running", paramLabel = "N", defaultValue = "${PARLEY_MAX_RUNNING:-8}",
            description = "requests generating at once (default ${DEFAULT-VALUE}) [PARLEY_MAX_RUNNING]") int maxRunning;
    @Option(names = "--max-waiting", paramLabel = "N", defaultValue = "${PARLEY_MAX_WAITING:-64}",
            description = "requests queued beyond those; more are refused as overloaded (default ${DEFAULT-VALUE}) [PARLEY_MAX_WAITING]")
            int maxWaiting;
    @Option(names = "--max-waiting-tokens", paramLabel = "N",
            defaultValue = "${PARLEY_MAX_WAITING_TOKENS:-" + ServerConfig.DEFAULT_MAX_WAITING_TOKENS + "}",
            description = "prompt tokens of queued requests; more are refused as overloaded (default ${DEFAULT-VALUE}) "
                    + "[PARLEY_MAX_WAITING_TOKENS]") long maxWaitingTokens;
    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "${PARLEY_PREFILL_CHUNK:-64}",
            description = "prompt tokens one request may run per engine step (default ${DEFAULT-VALUE}) [PARLEY_PREFILL_CHUNK]")
            int prefillChunk;
    @Option(names = "--max-frame-bytes", paramLabel = "N",
            defaultValue = "${PARLEY_MAX_FRAME_BYTES:-" + ServerConfig.DEFAULT_MAX_FRAME_BYTES + "}",
            description = "largest WebSocket message or HTTP body (default ${DEFAULT-VALUE}) [PARLEY_MAX_FRAME_BYTES]") int maxFrameBytes;
    @Option(names = "--max-sessions", paramLabel = "N", defaultValue = "${PARLEY_MAX_SESSIONS:-" + ServerConfig.DEFAULT_MAX_SESSIONS + "}",
            description = "live chat sessions (default ${DEFAULT-VALUE}) [PARLEY_MAX_SESSIONS]") int maxSessions;
    @Option(names = "--session-ttl", paramLabel = "SECONDS",
            defaultValue = "${PARLEY_SESSION_TTL:-" + ServerConfig.DEFAULT_SESSION_TTL_SECONDS + "}",
            description = "idle time after which a session is forgotten (default ${DEFAULT-VALUE}) [PARLEY_SESSION_TTL]") long sessionTtl;
    @Option(names = "--session-store", paramLabel = "STORE", defaultValue = "${PARLEY_SESSION_STORE:-" + ServerConfig.MEMORY_STORE + "}",
            description = "where sessions live: memory (this process) or redis://HOST:PORT/DB, shared by replicas so any of them can "
                    + "resume a session (default ${DEFAULT-VALUE}) [PARLEY_SESSION_STORE]") String sessionStore;
    @Option(names = "--drain-timeout", paramLabel = "SECONDS",
            defaultValue = "${PARLEY_DRAIN_TIMEOUT:-" + ServerConfig.DEFAULT_DRAIN_TIMEOUT_SECONDS + "}",
            description = "on SIGTERM, how long in-flight requests may finish once new work is refused (default ${DEFAULT-VALUE}) "
                    + "[PARLEY_DRAIN_TIMEOUT]") long drainTimeout;
    @Option(names = "--shutdown-delay", paramLabel = "SECONDS",
            defaultValue = "${PARLEY_SHUTDOWN_DELAY:-" + ServerConfig.DEFAULT_SHUTDOWN_DELAY_SECONDS + "}",
            description = "on SIGTERM, how long readiness already says 503 while new work is still taken, so a load balancer polling "
                    + "readiness stops routing here first; the drain follows (default ${DEFAULT-VALUE}; on Kubernetes the preStop sleep "
                    + "does this) [PARLEY_SHUTDOWN_DELAY]") long shutdownDelay;
    @Option(names = "--session-lease-ttl", paramLabel = "SECONDS",
            defaultValue = "${PARLEY_SESSION_LEASE_TTL:-" + ServerConfig.DEFAULT_SESSION_LEASE_TTL_SECONDS + "}",
            description = "with a Redis session store: how long a busy session stays locked after its replica died (renewed while a "
                    + "request runs) (default ${DEFAULT-VALUE}) [PARLEY_SESSION_LEASE_TTL]") double sessionLeaseTtl;
    @Option(names = "--allowed-origins", paramLabel = "ORIGINS", split = ",", defaultValue = "${PARLEY_ALLOWED_ORIGINS}",
            description = "comma-separated Origins (scheme://host[:port], or *) allowed to open the WebSocket; default: the server's own "
                    + "host and localhost [PARLEY_ALLOWED_ORIGINS]") List<String> allowedOrigins;
    @Option(names = "--slow-reader-timeout", paramLabel = "SECONDS",
            defaultValue = "${PARLEY_SLOW_READER_TIMEOUT:-" + ServerConfig.DEFAULT_SLOW_READER_TIMEOUT_SECONDS + "}",
            description = "a client that reads nothing for this long has its requests cancelled (default ${DEFAULT-VALUE}) "
                    + "[PARLEY_SLOW_READER_TIMEOUT]") long slowReaderTimeout;
    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "${PARLEY_WARMUP:-3}",
            description = "before readiness, run the kernels this long on throw-away batches so the first requests do not pay for JIT "
                    + "compilation; 0 skips it (default ${DEFAULT-VALUE}) [PARLEY_WARMUP]") double warmup;
    @Option(names = "--matmul", paramLabel = "MODE", defaultValue = "${PARLEY_MATMUL:-GGML}",
            description = "GGML (default) or F32 [PARLEY_MATMUL]") MatmulMode mode;
    @Option(names = "--pooling", paramLabel = "TYPE", defaultValue = "${PARLEY_POOLING}",
            description = "how /v1/embeddings pools the final hidden states: mean, cls or last; default: the model's pooling_type, "
                    + "else last (the last token's state, as decoder embedding models use) [PARLEY_POOLING]") String pooling;
    @Option(names = "--reasoning-format", paramLabel = "FORMAT", defaultValue = "${PARLEY_REASONING_FORMAT}",
            description = "none or deepseek: <think>...</think> at the start of a chat reply goes to reasoning_content (OpenAI) and the "
                    + "reasoning field of delta frames; default: deepseek when the chat template or the vocabulary has <think>, "
                    + "else none [PARLEY_REASONING_FORMAT]") String reasoningFormat;

    @Option(names = "--lora", paramLabel = "NAME=ADAPTER.gguf", split = ",",
            description = "also serve a LoRA adapter (llama.cpp's adapter GGUF, e.g. from tune sft --adapter-out) as the model NAME: "
                    + "requests pick it by OpenAI's model field or the WebSocket's params.adapter, and sequences of every adapter and "
                    + "the base share each batched step; repeatable (or comma-separated, as in a --config file)") List<String> loras;

    @Override public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Path model = modelRef == null ? null
                : modelRef.startsWith(HfModelCache.PREFIX) ? hf.cache(System.err).resolve(HfModelCache.Ref.parse(modelRef)) : Path.of(modelRef);
        boolean builtIn = model == null;
        if (builtIn) {
            model = DefaultModel.path();
            err.println("parley serve: no --model given; serving the built-in " + DefaultModel.DESCRIPTION);
        }
        if (!Files.isRegularFile(model)) {
            err.println("parley serve: model file not found: " + model);
            return 2;
        }
        Set<String> keys = apiKeyFile == null ? Set.of() : ApiKeys.load(apiKeyFile);
        String template = chatTemplate == null ? null : read(chatTemplate);
        ServerConfig config = ServerConfig.builder().host(host).port(port).maxFrameBytes(maxFrameBytes)
                .apiKeys(keys).allowedOrigins(allowedOrigins == null ? Set.of() : Set.copyOf(allowedOrigins))
                .maxWaitingTokens(maxWaitingTokens).slowReaderTimeout(Duration.ofSeconds(slowReaderTimeout))
                .sessionStore(sessionStore).maxSessions(maxSessions).sessionTtl(Duration.ofSeconds(sessionTtl))
                .sessionLeaseTtl(Duration.ofMillis(Math.round(sessionLeaseTtl * 1000)))
                .shutdownDelay(Duration.ofSeconds(shutdownDelay)).drainTimeout(Duration.ofSeconds(drainTimeout))
                .engine(new EngineConfig(maxRunning, maxWaiting, prefillChunk, mode)).build();

        Vertx vertx = Vertx.vertx();
        ParleyServer server = new ParleyServer(vertx, config);
        int bound;
        try {
            bound = server.listen().await();
        } catch (RuntimeException e) {
            vertx.close();
            err.println("parley serve: cannot listen on " + host + ":" + port + ": " + e.getMessage());
            return 2;
        }
        err.printf("parley serve: listening on http://%s:%d (ready once the model is loaded)%n", host, bound);
        err.printf("parley serve: loading model %s (%d MiB) ...%n", model, Files.size(model) >> 20);
        err.println("parley serve: kernels use " + dev.parley.inference.tensor.Simd.describe());
        long t0 = System.nanoTime();
        ServingModel served;
        try {
            if (warmup < 0) throw new IllegalArgumentException("--warmup must be 0 or more seconds");
            var options = new ServingModel.Options().engine(config.engine()).chatTemplate(template)
                    .warmUp(Duration.ofMillis(Math.round(warmup * 1000)));
            if (pooling != null) options.pooling(Pooling.parse(pooling));
            if (reasoningFormat != null) options.reasoningFormat(ReasoningFormat.parse(reasoningFormat));
            if (builtIn) options.name(DefaultModel.NAME).description(DefaultModel.DESCRIPTION);
            for (String lora : loras == null ? List.<String>of() : loras) {
                int eq = lora.indexOf('=');
                if (eq <= 0 || eq == lora.length() - 1) throw new IllegalArgumentException("--lora " + lora + ": expected NAME=ADAPTER.gguf");
                Path file = Path.of(lora.substring(eq + 1));
                if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--lora " + lora + ": adapter file not found: " + file);
                options.lora(lora.substring(0, eq), file);
            }
            served = ServingModel.load(model, options);
        } catch (RuntimeException e) {
            vertx.close();
            throw e; // the CLI's error handler prints it as one line, exit code 2
        }
        for (String adapter : served.adapterNames())
            err.printf("parley serve: serving LoRA adapter %s (%s)%n", adapter, served.model().adapter(adapter));
        err.printf("parley serve: loaded %s%s in %.1f s (context %d tokens, chat template: %s, reasoning format: %s, embeddings: %s "
                        + "pooling (%s)); ready%n", served.name(), warmup > 0 ? " and warmed up its kernels for " + warmup + " s" : "",
                (System.nanoTime() - t0) / 1e9, served.contextLength(), served.formatter().templateName(),
                served.reasoningFormat().wireName(), served.pooling().wireName(), served.poolingSource());
        server.serve(served);

        Runnable stop = () -> {
            err.println("parley serve: shutting down (readiness 503; new work taken for " + shutdownDelay
                    + " s more, then draining for up to " + drainTimeout + " s)");
            long t = System.nanoTime();
            server.shutdown();
            served.close();
            vertx.close().await();
            err.printf("parley serve: stopped after %.1f s%n", (System.nanoTime() - t) / 1e9);
        };
        CountDownLatch signalled = new CountDownLatch(1);
        if (!Termination.trap(signalled::countDown, err)) {
            // signals cannot be handled here (e.g. -Xrs): drain in a shutdown hook; the exit code is then the JVM's (143)
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("parley-shutdown").unstarted(() -> {
                stop.run();
                stopped.countDown();
            }));
            stopped.await();
            return 0;
        }
        signalled.await(); // until SIGTERM/SIGINT
        stop.run();
        return 0; // drained: a clean exit, so an orchestrator does not report the replica as failed
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot read chat template " + file + ": " + e.getMessage(), e));
        }
    }
}
