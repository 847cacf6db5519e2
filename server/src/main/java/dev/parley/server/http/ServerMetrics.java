package dev.parley.server.http;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.EngineStats;
import dev.parley.inference.engine.FinishReason;
import dev.parley.inference.engine.InferenceEngine;
import dev.parley.server.model.ServingModel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prometheus metrics named like vLLM's ({@code vllm:} becomes {@code parley_}) so dashboards and autoscalers carry
 * over. Counters are thread-safe: they are updated from engine threads and event loops alike.
 */
public final class ServerMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Counter rejected;
    private final Timer timeToFirstToken;
    private final Timer e2eLatency;
    private final Timer interTokenLatency;
    private final Timer queueTime;
    private final Map<FinishReason, Counter> finished = new EnumMap<>(FinishReason.class);

    /** @param model the model served, or null before it is loaded */
    public ServerMetrics(Supplier<ServingModel> model) {
        Supplier<InferenceEngine> engine = () -> model.get() == null ? null : model.get().engine();
        Gauge.builder("parley.num_requests_running", () -> engine.get() == null ? 0 : engine.get().runningCount())
                .description("Requests generating right now").register(registry);
        Gauge.builder("parley.num_requests_waiting", () -> engine.get() == null ? 0 : engine.get().waitingCount())
                .description("Requests accepted and waiting for the engine").register(registry);
        Gauge.builder("parley.kv_cache_usage_perc", () -> stat(engine, s -> s.kvUsage()))
                .description("Share of the KV-cache blocks held by requests (0..1; blocks kept only as prefix cache are free)").register(registry);
        Gauge.builder("parley.batch_size", () -> stat(engine, s -> s.lastStepSequences()))
                .description("Sequences in the engine's most recent batched step").register(registry);
        // FunctionCounters read the engine's own monotonic counters, so no event can be counted twice or missed
        FunctionCounter.builder("parley.prefix_cache_hits", engine, e -> stat(e, s -> s.prefixHitTokens()))
                .description("Prompt tokens served from the prefix cache (their prefill was skipped)").register(registry);
        FunctionCounter.builder("parley.prefix_cache_queries", engine, e -> stat(e, s -> s.prefixQueryTokens()))
                .description("Prompt tokens looked up in the prefix cache").register(registry);
        promptTokens = Counter.builder("parley.prompt_tokens").description("Prompt tokens submitted").register(registry);
        generationTokens = Counter.builder("parley.generation_tokens").description("Tokens generated").register(registry);
        rejected = Counter.builder("parley.requests_rejected").description("Requests refused because the queue was full").register(registry);
        timeToFirstToken = latency("parley.time_to_first_token", "From accepting a request to its first token");
        e2eLatency = latency("parley.e2e_request_latency", "From accepting a request to its end");
        interTokenLatency = Timer.builder("parley.inter_token_latency").description("Between two consecutive tokens of one request")
                .serviceLevelObjectives(ms(1), ms(2), ms(5), ms(10), ms(20), ms(40), ms(60), ms(80), ms(100), ms(250), ms(500),
                        ms(1000), ms(2500))
                .register(registry);
        queueTime = latency("parley.request_queue_time", "From accepting a request to the engine admitting it into the running batch");
        // what the footprint is made of: the heap is what -Xmx bounds; weights and KV cache live outside it
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Gauge.builder("parley.memory.heap.used", memory, m -> m.getHeapMemoryUsage().getUsed()).baseUnit(BaseUnits.BYTES)
                .description("Java heap in use").register(registry);
        Gauge.builder("parley.memory.heap.max", memory, m -> m.getHeapMemoryUsage().getMax()).baseUnit(BaseUnits.BYTES)
                .description("Largest the Java heap may grow (-Xmx)").register(registry);
        Gauge.builder("parley.memory.model.weights", model, m -> m.get() == null ? 0 : m.get().weightsBytes()).baseUnit(BaseUnits.BYTES)
                .description("Model weights: the GGUF file, memory-mapped off the heap").register(registry);
        Gauge.builder("parley.memory.kv.cache", model, m -> m.get() == null ? 0 : m.get().kvCacheBytes()).baseUnit(BaseUnits.BYTES)
                .description("KV cache, allocated off the heap when the engine starts").register(registry);
        for (FinishReason r : FinishReason.values()) {
            finished.put(r, Counter.builder("parley.request_success").tag("finished_reason", wireName(r))
                    .description("Requests that ended, by why they ended").register(registry));
        }
    }

    /** A number from the engine's stats; 0 before the model is loaded. */
    private static double stat(Supplier<InferenceEngine> engine, java.util.function.ToDoubleFunction<EngineStats> f) {
        InferenceEngine current = engine.get();
        return current == null ? 0 : f.applyAsDouble(current.stats());
    }

    private Timer latency(String name, String description) {
        return Timer.builder(name).description(description)
                .serviceLevelObjectives(ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500), ms(5000),
                        ms(10000), ms(30000), ms(60000))
                .register(registry);
    }

    private static Duration ms(long n) { return Duration.ofMillis(n); }

    /** The finish reason as the WebSocket protocol and the metric label spell it. */
    public static String wireName(FinishReason r) {
        return r == FinishReason.CONTEXT_FULL ? "context_overflow" : r.name().toLowerCase(Locale.ROOT);
    }

    public void accepted(int promptTokenCount) { promptTokens.increment(promptTokenCount); }

    /** A sampled token; {@code sincePreviousNanos} is -1 for a request's first token. */
    public void tokenGenerated(long sincePreviousNanos) {
        generationTokens.increment();
        if (sincePreviousNanos >= 0) interTokenLatency.record(sincePreviousNanos, TimeUnit.NANOSECONDS);
    }

    public void admitted(long queueNanos) { queueTime.record(queueNanos, TimeUnit.NANOSECONDS); }

    public void rejected() { rejected.increment(); }

    public void completed(Completion c) {
        finished.get(c.finishReason()).increment();
        if (c.timeToFirstTokenNanos() >= 0) timeToFirstToken.record(c.timeToFirstTokenNanos(), TimeUnit.NANOSECONDS);
        e2eLatency.record(c.totalNanos(), TimeUnit.NANOSECONDS);
    }

    /** The Prometheus text exposition. */
    public String scrape() { return registry.scrape(); }
}
