package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parley.inference.forge.SyntheticAdapter;
import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests naming LoRA adapters through the engine: sequences of two adapters and the base batched together generate
 * what each generates alone, and the prefix cache never hands one adapter's keys and values to another or to the base.
 */
class AdapterEngineTest {
    @TempDir static Path dir;
    static Model model;
    static final int[] PROMPT = new int[40];

    @BeforeAll static void load() {
        model = Model.load(SyntheticModel.tiny().write(dir.resolve("tiny.gguf")));
        model.loadAdapter("a", new SyntheticAdapter(4, 1).write(model, dir.resolve("a.gguf")));
        model.loadAdapter("b", new SyntheticAdapter(8, 2).write(model, dir.resolve("b.gguf")));
        for (int i = 0; i < PROMPT.length; i++) PROMPT[i] = 3 + (i * 37) % 300;
    }

    @AfterAll static void close() {
        if (model != null) model.close();
    }

    private static Engine engine() {
        return new Engine(model, new EngineConfig(8, 16, 64, MatmulMode.GGML));
    }

    private static CompletableFuture<Completion> submit(Engine e, String adapter) {
        CompletableFuture<Completion> done = new CompletableFuture<>();
        SamplingParams greedy = SamplingParams.builder().temperature(0).maxTokens(10).ignoreEos(true).build();
        e.submit(new GenerationRequest(PROMPT, greedy, null, adapter), new GenerationListener() {
            @Override public void onToken(TokenEvent t) {}
            @Override public void onComplete(Completion c) { done.complete(c); }
            @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }
        });
        return done;
    }

    private static Completion get(CompletableFuture<Completion> f) throws Exception {
        return f.get(60, TimeUnit.SECONDS);
    }

    @Test void mixedAdaptersInOneBatchGenerateWhatEachGeneratesAlone() throws Exception {
        List<String> adapters = Arrays.asList(null, "a", "b");
        List<int[]> alone = new ArrayList<>();
        for (String a : adapters) {
            try (Engine e = engine()) {
                alone.add(get(submit(e, a)).generatedTokens());
            }
        }
        assertFalse(Arrays.equals(alone.get(0), alone.get(1)) && Arrays.equals(alone.get(0), alone.get(2)), "the adapters change the output");
        try (Engine e = engine()) {
            List<CompletableFuture<Completion>> together = new ArrayList<>();
            for (int round = 0; round < 2; round++) for (String a : adapters) together.add(submit(e, a));
            for (int i = 0; i < together.size(); i++)
                assertArrayEquals(alone.get(i % 3), get(together.get(i)).generatedTokens(), "request " + i + " with adapter " + adapters.get(i % 3));
        }
    }

    @Test void thePrefixCacheIsKeyedByAdapter() throws Exception {
        try (Engine e = engine()) {
            int[] base = get(submit(e, null)).generatedTokens();
            Completion a = get(submit(e, "a"));
            assertEquals(0, a.cachedTokens(), "the base's prefix is not reused for adapter a");
            Completion b = get(submit(e, "b"));
            assertEquals(0, b.cachedTokens(), "neither the base's nor a's prefix is reused for adapter b");
            Completion again = get(submit(e, "a"));
            assertEquals(32, again.cachedTokens(), "a's own prefix is reused: two full blocks of 16");
            assertArrayEquals(a.generatedTokens(), again.generatedTokens());
            Completion baseAgain = get(submit(e, null));
            assertEquals(32, baseAgain.cachedTokens());
            assertArrayEquals(base, baseAgain.generatedTokens());
        }
    }

    @Test void anUnknownAdapterIsRefusedAtSubmit() {
        try (Engine e = engine()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> submit(e, "c"));
            assertEquals("no LoRA adapter named 'c' is loaded (loaded: a, b)", x.getMessage());
        }
    }
}
