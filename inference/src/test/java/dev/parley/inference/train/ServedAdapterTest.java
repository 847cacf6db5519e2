package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.model.LoraAdapter;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A LoRA tuning's two outputs served by the engine: the base with the adapter attached computes what the merged model
 * computes (logits within 1e-4 in F32 mode, the same greedy continuation).
 */
class ServedAdapterTest {
    @TempDir static Path dir;

    @Test void theBaseServedWithTheAdapterIsTheMergedModel() throws Exception {
        Path chatBase = dir.resolve("chat-base.gguf"), adapter = dir.resolve("adapter.gguf"), merged = dir.resolve("merged.gguf");
        try (FineTuneBase b = FineTuneBase.load(TuneCli.tinyBase(dir))) {
            b.write(chatBase, "chat-base");
        }
        TuneCli.Run r = TuneCli.run("tune", "sft", "--model", chatBase.toString(), "--data", TuneCli.conversations(dir).toString(),
                "--out", merged.toString(), "--adapter-out", adapter.toString(), "--lora-rank", "4", "--lora-alpha", "8",
                "--steps", "6", "--batch", "2", "--lr", "1e-2");
        assertEquals(0, r.exit(), r.err());
        try (Model base = Model.load(chatBase); Model tuned = Model.load(merged)) {
            LoraAdapter lora = base.loadAdapter("tuned", adapter);
            assertEquals(7 * base.config().layers(), lora.adaptedWeights());
            int[] tokens = base.tokenizer().encode("the cat sat on the mat. the dog", true, false);
            float[][] served = base.transformer(MatmulMode.F32).forward(tokens, 0, base.newSingleSequenceKvCache(64), true, lora);
            float[][] plain = base.transformer(MatmulMode.F32).forward(tokens, 0, base.newSingleSequenceKvCache(64), true);
            float[][] reference = tuned.transformer(MatmulMode.F32).forward(tokens, 0, tuned.newSingleSequenceKvCache(64), true);
            double worst = 0, moved = 0;
            for (int t = 0; t < tokens.length; t++)
                for (int i = 0; i < served[t].length; i++) {
                    worst = Math.max(worst, Math.abs(served[t][i] - reference[t][i]));
                    moved = Math.max(moved, Math.abs(plain[t][i] - reference[t][i]));
                }
            System.out.printf("served base + adapter vs the merged model: max |Δlogit| %.2e (the tuning moved logits by up to %.3f)%n",
                    worst, moved);
            assertTrue(moved > 1e-3, "the tuning changed the model: " + moved);
            assertTrue(worst <= 1e-4, "base + adapter vs the merged model: max |Δlogit| " + worst);

            EngineConfig config = new EngineConfig(4, 16, 64, MatmulMode.F32);
            try (Engine withAdapter = new Engine(base, config); Engine mergedEngine = new Engine(tuned, config)) {
                int[] viaAdapter = greedy(withAdapter, new GenerationRequest(tokens, params(), null, "tuned"));
                int[] viaMerged = greedy(mergedEngine, new GenerationRequest(tokens, params()));
                assertArrayEquals(viaMerged, viaAdapter, "greedy continuation, adapter served vs merged");
            }
        }
    }

    private static SamplingParams params() {
        return SamplingParams.builder().temperature(0).maxTokens(12).ignoreEos(true).build();
    }

    private static int[] greedy(Engine e, GenerationRequest request) throws Exception {
        CompletableFuture<Completion> done = new CompletableFuture<>();
        e.submit(request, new GenerationListener() {
            @Override public void onToken(TokenEvent t) {}
            @Override public void onComplete(Completion c) { done.complete(c); }
            @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }
        });
        return done.get(60, TimeUnit.SECONDS).generatedTokens();
    }
}
