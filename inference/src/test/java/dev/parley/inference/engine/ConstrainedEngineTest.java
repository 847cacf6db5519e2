package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.constrain.GrammarCache;
import dev.parley.inference.constrain.GrammarSource;
import dev.parley.inference.constrain.JsonReference;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.testing.Shared;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding inside continuous batching, on a real model: constrained rows always produce output in their
 * grammar, and unconstrained rows batched with them produce exactly what they produce without such neighbours.
 */
class ConstrainedEngineTest {
    /** Bounded strings and enums, so even a model that knows nothing of JSON completes within a few dozen tokens. */
    static final String SCHEMA = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "maxLength": 6},
               "mood": {"enum": ["happy", "sad", null]},
               "pets": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
               "home": {"type": "object", "properties": {"door": {"type": "boolean"}}, "required": ["door"],
                        "additionalProperties": false}
             },
             "required": ["name", "mood", "pets", "home"], "additionalProperties": false}
            """;
    private static final String[] TEXTS = {"Once upon a time", "The little dog", "Lily and Tom went to the park"};
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.path("models/stories260K").resolve("stories260K.gguf"));
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static int[] prompt(String text) {
        return model.tokenizer().encode(text, true, false);
    }

    private static Engine engine(int maxRunning) {
        return new Engine(model, new EngineConfig(maxRunning, 64, 64, MatmulMode.GGML));
    }

    private static CompletableFuture<Completion> submit(Engine e, int[] prompt, SamplingParams p, TokenConstraint c) {
        CompletableFuture<Completion> done = new CompletableFuture<>();
        e.submit(new GenerationRequest(prompt, p, c), new GenerationListener() {
            @Override public void onToken(TokenEvent t) {}
            @Override public void onComplete(Completion completion) { done.complete(completion); }
            @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }
        });
        return done;
    }

    private static Completion get(CompletableFuture<Completion> f) throws Exception {
        return f.get(120, TimeUnit.SECONDS);
    }

    private static SamplingParams sampled(long seed, int maxTokens) {
        return SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0).seed(seed).maxTokens(maxTokens).build();
    }

    @Test
    void constrainedAndUnconstrainedRowsShareStepsAndTheUnconstrainedOnesAreUnchanged() throws Exception {
        SamplingParams free = SamplingParams.builder().temperature(0.8f).seed(7).maxTokens(60).ignoreEos(true).build();
        List<int[]> alone = new ArrayList<>();
        try (Engine e = engine(1)) {
            for (String t : TEXTS) alone.add(get(submit(e, prompt(t), free, null)).generatedTokens());
        }
        JsonReference reference = new JsonReference(SCHEMA);
        try (Engine e = engine(8)) {
            TokenConstraint schema = e.grammars().constraint(GrammarSource.jsonSchema(SCHEMA));
            List<CompletableFuture<Completion>> constrained = new ArrayList<>();
            List<CompletableFuture<Completion>> unconstrained = new ArrayList<>();
            for (int i = 0; i < TEXTS.length; i++) {
                constrained.add(submit(e, prompt(TEXTS[i]), sampled(100 + i, 300), schema));
                unconstrained.add(submit(e, prompt(TEXTS[i]), free, null));
                constrained.add(submit(e, prompt("Tom said"), sampled(200 + i, 300), schema));
            }
            for (int i = 0; i < TEXTS.length; i++) {
                assertArrayEquals(alone.get(i), get(unconstrained.get(i)).generatedTokens(), "unconstrained request " + i);
            }
            for (var f : constrained) {
                Completion c = get(f);
                assertEquals(FinishReason.STOP, c.finishReason(), "ended by the grammar: " + c.text());
                assertTrue(reference.valid(c.text()), "valid under the schema: " + c.text());
            }
            assertEquals(1, e.grammars().stats().compilations(), "one compilation for six requests");
        }
    }

    @Test
    void maxTokensCutsToAValidPrefixWithLengthAndStopStringsStillApply() throws Exception {
        try (Engine e = engine(4)) {
            TokenConstraint schema = e.grammars().constraint(GrammarSource.jsonSchema(SCHEMA));
            Completion cut = get(submit(e, prompt("Once"), sampled(1, 5), schema));
            assertEquals(FinishReason.LENGTH, cut.finishReason());
            assertEquals(5, cut.generatedTokens().length);
            var parser = dev.parley.inference.constrain.Grammars.jsonSchema(SCHEMA).compile().newParser();
            assertTrue(parser.advance(cut.text().getBytes(java.nio.charset.StandardCharsets.UTF_8)), "a valid prefix: " + cut.text());
            assertFalse(parser.isComplete(), "not a whole document: " + cut.text());

            SamplingParams withStop = sampled(2, 300).toBuilder().stop(List.of("\"mood\"")).build();
            Completion stopped = get(submit(e, prompt("Once"), withStop, schema));
            assertEquals(FinishReason.STOP, stopped.finishReason());
            assertTrue(stopped.text().endsWith("\"name\":") || stopped.text().contains("\"name\""), stopped.text());
            assertFalse(stopped.text().contains("mood"), "the stop string ended it: " + stopped.text());
        }
    }

    @Test
    void choiceRegexAndGbnfEndExactlyWhereTheirGrammarEnds() throws Exception {
        try (Engine e = engine(4)) {
            GrammarCache grammars = e.grammars();
            List<String> choices = List.of("yes", "no", "maybe later");
            TokenConstraint choice = grammars.constraint(GrammarSource.choice(choices));
            TokenConstraint regex = grammars.constraint(GrammarSource.regex("[0-9]{3}-[a-c]{2}"));
            TokenConstraint gbnf = grammars.constraint(GrammarSource.gbnf("root ::= \"<\" [a-z]{1,5} (\",\" [a-z]{1,5})? \">\""));
            for (int seed = 0; seed < 8; seed++) {
                Completion c = get(submit(e, prompt("Once"), sampled(seed, 100), choice));
                assertTrue(choices.contains(c.text()), c.text());
                assertEquals(FinishReason.STOP, c.finishReason());
                Completion r = get(submit(e, prompt("Once"), sampled(seed, 100), regex));
                assertTrue(r.text().matches("[0-9]{3}-[a-c]{2}"), r.text());
                assertEquals(FinishReason.STOP, r.finishReason());
                Completion g = get(submit(e, prompt("Once"), sampled(seed, 100), gbnf));
                assertTrue(g.text().matches("<[a-z]{1,5}(,[a-z]{1,5})?>"), g.text());
                assertEquals(FinishReason.STOP, g.finishReason());
            }
            assertSame(choice, grammars.constraint(GrammarSource.choice(choices)), "cached by kind and text");
        }
    }

    @Test
    void refusesAConstraintOfAnotherVocabularyAndIgnoreEos() {
        try (Engine e = engine(2)) {
            TokenConstraint foreign = new GrammarCache(model.tokenizer()).constraint(GrammarSource.jsonObject());
            var error = assertThrows(IllegalArgumentException.class,
                    () -> e.submit(new GenerationRequest(prompt("Once"), sampled(1, 10), foreign), null));
            assertTrue(error.getMessage().contains("vocabulary"), error.getMessage());
            TokenConstraint own = e.grammars().constraint(GrammarSource.jsonObject());
            SamplingParams ignoreEos = sampled(1, 10).toBuilder().ignoreEos(true).build();
            error = assertThrows(IllegalArgumentException.class, () -> new GenerationRequest(prompt("Once"), ignoreEos, own));
            assertTrue(error.getMessage().contains("ignore_eos"), error.getMessage());
            var bad = assertThrows(dev.parley.inference.constrain.GrammarException.class,
                    () -> e.grammars().constraint(GrammarSource.gbnf("root ::= (")));
            assertNotNull(bad.getMessage());
            assertEquals(1, e.grammars().stats().cached(), "a failed compilation is not kept");
        }
    }
}
