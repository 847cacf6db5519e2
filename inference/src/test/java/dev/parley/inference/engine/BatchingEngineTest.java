package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.testing.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching over the paged cache on a real model: batching, prefix reuse and preemption never change output. */
class BatchingEngineTest {
    private static final String[] TEXTS = {
        "Once upon a time", "The little dog", "Lily and Tom went to the park", "One day, a big bird",
        "There was a girl who liked to sing", "Ben had a red ball",
    };
    private static Model model;
    private static int[] golden;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Shared.path("models/stories260K");
        model = Model.load(dir.resolve("stories260K.gguf"));
        golden = Files.readAllLines(dir.resolve("greedy-expected.txt")).stream().filter(l -> l.startsWith("ids:")).skip(1)
                .map(l -> Arrays.stream(l.substring(4).trim().split(" ")).mapToInt(Integer::parseInt).toArray()).findFirst().orElseThrow();
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static int[] prompt(String text) {
        return model.tokenizer().encode(text, true, false);
    }

    private static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(true).build();
    }

    private static EngineConfig config(int maxRunning, int prefillChunk) {
        return new EngineConfig(maxRunning, 64, prefillChunk, MatmulMode.GGML);
    }

    /** Submits and returns the completion future; {@code onToken} sees each sampled token id on the engine thread. */
    private static CompletableFuture<Completion> submit(Engine e, int[] prompt, SamplingParams p, IntConsumer onToken) {
        CompletableFuture<Completion> done = new CompletableFuture<>();
        e.submit(new GenerationRequest(prompt, p), new GenerationListener() {
            @Override public void onToken(TokenEvent t) { if (t.token() >= 0) onToken.accept(t.token()); }
            @Override public void onComplete(Completion c) { done.complete(c); }
            @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }
        });
        return done;
    }

    private static int[] get(CompletableFuture<Completion> f) throws Exception {
        return f.get(120, TimeUnit.SECONDS).generatedTokens();
    }

    /** Each prompt run alone, one request at a time. */
    private static List<int[]> alone(List<int[]> prompts, int maxTokens) throws Exception {
        List<int[]> out = new ArrayList<>();
        try (Engine e = new Engine(model, config(1, 64))) {
            for (int[] p : prompts) out.add(get(submit(e, p, greedy(maxTokens), t -> {})));
        }
        return out;
    }

    private static List<int[]> together(EngineConfig cfg, List<int[]> prompts, int maxTokens, Engine[] keep) throws Exception {
        Engine e = new Engine(model, cfg);
        try {
            List<CompletableFuture<Completion>> fs = new ArrayList<>();
            for (int[] p : prompts) fs.add(submit(e, p, greedy(maxTokens), t -> {}));
            List<int[]> out = new ArrayList<>();
            for (var f : fs) out.add(get(f));
            if (keep != null) keep[0] = e;
            return out;
        } finally {
            if (keep == null) e.close();
        }
    }

    @Test
    void concurrentGreedyRequestsEqualEachRunAlone() throws Exception {
        List<int[]> prompts = new ArrayList<>();
        for (String t : TEXTS) prompts.add(prompt(t));
        prompts.add(Arrays.copyOf(golden, 5));
        List<int[]> expected = alone(prompts, 60);
        assertArrayEquals(Arrays.copyOfRange(golden, 5, golden.length), expected.getLast(), "golden greedy continuation");
        // 7 requests, 4 slots, prompts chunked by 3: sequences join and leave a running batch mid-flight
        List<int[]> got = together(config(4, 3), prompts, 60, null);
        for (int i = 0; i < prompts.size(); i++) assertArrayEquals(expected.get(i), got.get(i), "request " + i);
    }

    @Test
    void warmUpRunsBeforeTheFirstStepAndLeavesNoTrace() throws Exception {
        int[] p = Arrays.copyOf(golden, 5);
        try (Engine e = new Engine(model, config(4, 64), java.time.Duration.ofMillis(400))) {
            // submitted at once: waits for the warm-up, then runs as on a cold engine
            CompletableFuture<Completion> f = submit(e, p, greedy(40), t -> {});
            java.time.Duration took = e.warmedUp().get(30, TimeUnit.SECONDS);
            assertTrue(took.toMillis() >= 400, "warmed up for the whole budget: " + took);
            assertArrayEquals(Arrays.copyOfRange(golden, 5, 45), get(f), "same greedy tokens as the golden run");
            EngineStats s = e.stats();
            assertEquals(p.length + 40 - 1, s.computedTokens(), "the engine's counters saw only the request: " + s);
            assertEquals(0, s.prefixHitTokens(), "warm-up put nothing in the prefix cache");
        }
        try (Engine e = new Engine(model, config(4, 64))) {
            assertTrue(e.warmedUp().get(30, TimeUnit.SECONDS).toMillis() < 1000, "no warm-up asked: done at once");
        }
    }

    @Test
    void preemptionUnderATinyKvBudgetKeepsOutputsIdentical() throws Exception {
        List<int[]> prompts = new ArrayList<>();
        for (String t : TEXTS) prompts.add(prompt(t));
        List<int[]> expected = alone(prompts, 80);
        long blockBytes = dev.parley.inference.kv.PagedKvCache.blockBytes(model.config().kvShape(), KvFormat.F32, 8);
        // 24 blocks of 8 = 192 positions for 6 sequences of ~90: they cannot all fit
        EngineConfig cfg = config(6, 16).withKvCache(24 * blockBytes, 8, KvFormat.F32);
        Engine[] e = new Engine[1];
        List<int[]> got = together(cfg, prompts, 80, e);
        try {
            for (int i = 0; i < prompts.size(); i++) assertArrayEquals(expected.get(i), got.get(i), "request " + i);
            EngineStats s = e[0].stats();
            assertTrue(s.preemptions() > 0, "the budget forced preemption: " + s);
            assertEquals(24, s.totalBlocks());
        } finally {
            e[0].close();
        }
    }

    @Test
    void sharedPrefixSkipsPrefillAndGivesTheSameOutput() throws Exception {
        int[] system = prompt("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.");
        assertTrue(system.length >= 32, "prefix spans two blocks: " + system.length);
        int[] a = Arrays.copyOf(system, system.length + 2), b = Arrays.copyOf(system, system.length + 3);
        a[system.length] = 403; a[system.length + 1] = 407;
        b[system.length] = 261; b[system.length + 1] = 378; b[system.length + 2] = 432;
        int[] bAlone = alone(List.of(b), 20).getFirst();
        try (Engine e = new Engine(model, config(2, 64))) {
            Completion first = submit(e, a, greedy(20), t -> {}).get(120, TimeUnit.SECONDS);
            assertEquals(0, first.cachedTokens());
            EngineStats before = e.stats();
            int[] admittedWith = {-1};
            CompletableFuture<Completion> second = new CompletableFuture<>();
            e.submit(new GenerationRequest(b, greedy(20)), new GenerationListener() {
                @Override public void onAdmitted(int cachedTokens, long queueNanos) { admittedWith[0] = cachedTokens; }
                @Override public void onToken(TokenEvent t) {}
                @Override public void onComplete(Completion c) { second.complete(c); }
                @Override public void onError(RuntimeException x) { second.completeExceptionally(x); }
            });
            Completion shared = second.get(120, TimeUnit.SECONDS);
            int[] bShared = shared.generatedTokens();
            // the engine counts a step's rows before its listeners run, so these stats include the last step
            EngineStats after = e.stats();
            assertArrayEquals(bAlone, bShared);
            int reused = (system.length / 16) * 16;
            assertEquals(reused, after.prefixHitTokens() - before.prefixHitTokens());
            // the request itself is told what it reused, at admission and in its completion
            assertEquals(reused, admittedWith[0]);
            assertEquals(reused, shared.cachedTokens());
            assertTrue(shared.queueNanos() >= 0 && shared.queueNanos() <= shared.totalNanos(), "queue " + shared.queueNanos());
            assertEquals(b.length, after.prefixQueryTokens() - before.prefixQueryTokens());
            // b computed only its unshared prompt tail and then one row per decode step (the last sampled token is not run)
            assertEquals(b.length - reused + 19, after.computedTokens() - before.computedTokens());
        }
    }

    @Test
    void cancellingMidStreamFreesTheBlocks() throws Exception {
        try (Engine e = new Engine(model, config(2, 64))) {
            int total = e.stats().totalBlocks();
            CompletableFuture<Completion>[] f = new CompletableFuture[1];
            // the engine may stream the first tokens before submit has returned the handle: cancel once both are there
            java.util.concurrent.atomic.AtomicReference<RequestHandle> h = new java.util.concurrent.atomic.AtomicReference<>();
            List<Integer> seen = new CopyOnWriteArrayList<>();
            CompletableFuture<Completion> done = new CompletableFuture<>();
            h.set(e.submit(new GenerationRequest(prompt("The little dog"), greedy(400)), new GenerationListener() {
                @Override public void onToken(TokenEvent t) {
                    if (seen.size() < 1000) seen.add(t.token());
                    if (seen.size() >= 5 && h.get() != null) h.get().cancel();
                }
                @Override public void onComplete(Completion c) { done.complete(c); }
                @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }
            }));
            Completion c = done.get(60, TimeUnit.SECONDS);
            assertEquals(FinishReason.CANCELLED, c.finishReason());
            assertTrue(c.generatedTokens().length < 400);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (e.stats().freeBlocks() != total && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(total, e.stats().freeBlocks(), "every block back on the free list");
            assertEquals(0, e.runningCount());
        }
    }

    @Test
    void aLongPromptDoesNotStallDecodingSequences() throws Exception {
        int chunk = 8;
        try (Engine e = new Engine(model, config(4, chunk))) {
            List<Long> stepsA = new CopyOnWriteArrayList<>(), stepsB = new CopyOnWriteArrayList<>(),
                    longFirst = new CopyOnWriteArrayList<>();
            var fa = submit(e, prompt("Ben had a red ball"), greedy(150), t -> stepsA.add(e.stats().steps()));
            var fb = submit(e, prompt("One day, a big bird"), greedy(150), t -> stepsB.add(e.stats().steps()));
            while (stepsA.size() < 5 || stepsB.size() < 5) Thread.sleep(1);
            int[] longPrompt = Arrays.copyOf(golden, 200);
            for (int i = 65; i < 200; i++) longPrompt[i] = golden[5 + i % 60];
            long submitted = e.stats().steps();
            var fl = submit(e, longPrompt, greedy(1), t -> longFirst.add(e.stats().steps()));
            fl.get(120, TimeUnit.SECONDS);
            long prefillSteps = longFirst.getFirst() - submitted;
            // listeners see the steps completed before theirs, and the prompt joins either the step running when it
            // was submitted has ended or the one after: its 25 chunks span 24 or 25 counted steps
            assertTrue(prefillSteps >= 200 / chunk - 1, "the prompt was chunked: " + prefillSteps + " steps");
            // while it was prefilled, the decoders got a token in every single step
            for (List<Long> steps : List.of(stepsA, stepsB)) {
                long during = steps.stream().filter(s -> s > submitted && s <= longFirst.getFirst()).count();
                assertTrue(during >= prefillSteps - 1, during + " tokens in " + prefillSteps + " steps");
            }
            fa.get(120, TimeUnit.SECONDS);
            fb.get(120, TimeUnit.SECONDS);
        }
    }

    @Test
    void f16KvCacheRunsAndStaysCloseToF32() throws Exception {
        int[] p = prompt("Once upon a time");
        int[] f32 = alone(List.of(p), 20).getFirst();
        try (Engine e = new Engine(model, config(1, 64).withKvCache(EngineConfig.DEFAULT_KV_BUDGET, 16, KvFormat.F16))) {
            int[] f16 = get(submit(e, p, greedy(20), t -> {}));
            assertEquals(20, f16.length);
            assertArrayEquals(Arrays.copyOf(f32, 8), Arrays.copyOf(f16, 8),
                    "a trained model's greedy path survives half-precision KV at first");
        }
    }
}
