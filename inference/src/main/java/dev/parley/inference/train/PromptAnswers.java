package dev.parley.inference.train;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.FinishReason;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.template.DefaultTemplates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Answers sampled from a model through the inference engine, as serving would give them: each prompt rendered through
 * the model's chat template (ChatML when it has none) with the generation prompt, every sample its own request, all of
 * them batched by the engine's scheduler. Sampling is serving's default (top-k 40, top-p 0.95, min-p 0.05) at the given
 * temperature, each request seeded from (seed, prompt, sample) so a run repeats.
 */
final class PromptAnswers {
    /** Sequences the engine decodes together. */
    static final int BATCH = 16;

    /** Prompt files: JSON Lines of {@code {"messages":[...]}} ending with a user turn. */
    static final String SHAPE = "{\"messages\":[...turns ending with a user turn...]}";

    /** One sampled answer: its text and whether the model ended its turn (an end-of-generation token, not the limit). */
    record Sample(String text, boolean endedTurn) {}

    private PromptAnswers() {}

    static List<List<Map<String, Object>>> readPrompts(Path file) {
        return SftData.readLines(file, "prompts", line -> {
            List<Map<String, Object>> messages = SftData.messages(line);
            if (messages.isEmpty() || !"user".equals(messages.getLast().get("role")))
                throw new IllegalArgumentException("a prompt must end with a user turn: expected " + SHAPE);
            return messages;
        });
    }

    /** The last user turn's text: what the constitution's topic rules look at. */
    static String lastUserText(List<Map<String, Object>> prompt) {
        return (String) prompt.getLast().get("content");
    }

    /** {@code samples} answers to each prompt, in prompt order. */
    static List<List<Sample>> sample(Model model, List<List<Map<String, Object>>> prompts, int samples, float temperature, long seed,
                                     int maxTokens) {
        String template = model.chatTemplate() != null ? model.chatTemplate() : DefaultTemplates.CHATML;
        ChatEncoder encoder = new ChatEncoder(template, model.tokenizer(), Map.of());
        int total = prompts.size() * samples, context = model.config().contextLength();
        List<CompletableFuture<Completion>> done = new ArrayList<>(total);
        try (Engine engine = new Engine(model, new EngineConfig(BATCH, total, 512, MatmulMode.GGML))) {
            for (int p = 0; p < prompts.size(); p++) {
                int[] tokens = encoder.prompt(prompts.get(p));
                if (tokens.length >= context)
                    throw new IllegalArgumentException("prompt " + (p + 1) + " is " + tokens.length + " tokens, the model's context " + context);
                for (int k = 0; k < samples; k++) {
                    SamplingParams params = SamplingParams.builder().temperature(temperature).seed(seed + (long) p * samples + k)
                            .maxTokens(maxTokens).build();
                    CompletableFuture<Completion> f = new CompletableFuture<>();
                    done.add(f);
                    engine.submit(new GenerationRequest(tokens, params), new GenerationListener() {
                        @Override public void onToken(TokenEvent event) {}

                        @Override public void onComplete(Completion c) { f.complete(c); }

                        @Override public void onError(RuntimeException e) { f.completeExceptionally(e); }
                    });
                }
            }
            List<List<Sample>> out = new ArrayList<>();
            for (int p = 0; p < prompts.size(); p++) {
                List<Sample> answers = new ArrayList<>();
                for (int k = 0; k < samples; k++) {
                    Completion c = join(done.get(p * samples + k));
                    answers.add(new Sample(c.text(), c.finishReason() == FinishReason.STOP));
                }
                out.add(answers);
            }
            return out;
        }
    }

    private static Completion join(CompletableFuture<Completion> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sampling");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }
}
