package dev.parley.inference.cli;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.EngineStats;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code bench --n N}: n answers to one prompt as one request (prefilled once, forked in the KV cache) against n
 * separate requests for the same prompt submitted together, each run on a fresh engine (cold prefix cache) through
 * the real scheduler: wall time from submit to the last answer, the most KV blocks held at once, and the rows the
 * engine computed. Runs alternate between the two ways so drift in the machine's speed hits both alike.
 */
final class ChoicesBench {
    private final Model model;
    private final EngineConfig config;
    private final int n, promptTokens, genTokens;

    ChoicesBench(Model model, EngineConfig config, int n, int promptTokens, int genTokens) {
        this.model = model;
        this.config = config;
        this.n = n;
        this.promptTokens = promptTokens;
        this.genTokens = genTokens;
    }

    /** One run's figures. */
    record Run(double seconds, int peakBlocks, long computedRows) {}

    /** Median seconds and the (deterministic) block and row counts of each way, after one untimed run of each. */
    Map<String, Object> measure(int rounds) {
        run(true);
        run(false);
        List<Run> together = new ArrayList<>(), separate = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            together.add(run(true));
            separate.add(run(false));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("n", n);
        out.put("prompt_tokens", promptTokens);
        out.put("gen_tokens", genTokens);
        out.put("kv_block_positions", config.kvBlockSize());
        out.put("one_request", figures(together));
        out.put("separate_requests", figures(separate));
        return out;
    }

    private static Map<String, Object> figures(List<Run> runs) {
        double[] seconds = runs.stream().mapToDouble(Run::seconds).sorted().toArray();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("seconds", Math.round(seconds[seconds.length / 2] * 1000) / 1000.0);
        f.put("peak_kv_blocks", runs.getLast().peakBlocks());
        f.put("rows_computed", runs.getLast().computedRows());
        return f;
    }

    /** One run on a fresh engine: one request for n answers, or n requests for one. */
    private Run run(boolean oneRequest) {
        int vocab = model.config().vocabSize();
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) prompt[i] = 1 + (i * 7919) % (vocab - 1);
        // sampled, not greedy: the answers differ, as n answers are meant to; no end-of-generation stop
        SamplingParams params = SamplingParams.builder().temperature(1).seed(1).maxTokens(genTokens).ignoreEos(true).build();
        try (Engine engine = new Engine(model, config)) {
            List<CompletableFuture<Completion>> done = new ArrayList<>();
            List<GenerationListener> listeners = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CompletableFuture<Completion> f = new CompletableFuture<>();
                done.add(f);
                listeners.add(new GenerationListener() {
                    @Override public void onToken(TokenEvent event) {}
                    @Override public void onComplete(Completion c) { f.complete(c); }
                    @Override public void onError(RuntimeException e) { f.completeExceptionally(e); }
                });
            }
            long t0 = System.nanoTime();
            if (oneRequest) {
                engine.submitChoices(new GenerationRequest(prompt, params), listeners);
            } else {
                List<GenerationRequest> requests = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    SamplingParams own = params.toBuilder().seed(params.seed() + i).build(); // what answer i samples with
                    requests.add(new GenerationRequest(prompt, own));
                }
                engine.submitAll(requests, listeners); // all in the first step: none reuses another's prompt blocks
            }
            for (CompletableFuture<Completion> f : done) f.get(30, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            EngineStats stats = engine.stats();
            return new Run(seconds, stats.peakUsedBlocks(), stats.computedTokens());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("a benchmark request failed: " + e.getMessage(), e);
        }
    }

    /** The text report of {@link #measure}'s figures. */
    static String describe(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        for (String way : List.of("one_request", "separate_requests")) {
            @SuppressWarnings("unchecked") Map<String, Object> f = (Map<String, Object>) r.get(way);
            sb.append(String.format("%s: %s s (median), peak KV blocks %s of %s positions, rows computed %s%n",
                    way.equals("one_request") ? "n=" + r.get("n") + " answers, one request" : r.get("n") + " separate requests",
                    f.get("seconds"), f.get("peak_kv_blocks"), r.get("kv_block_positions"), f.get("rows_computed")));
        }
        return sb.toString();
    }
}
