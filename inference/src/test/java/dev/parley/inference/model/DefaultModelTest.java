package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.FinishReason;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.train.Samples;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped models load from real files: the base continues "In the beginning" with English words; the chat model,
 * the default, answers a chat prompt inside the assistant's turn, in the corpus's words, and ends its turn.
 */
class DefaultModelTest {
    private static final Set<String> KJV_WORDS = Set.of("the", "and", "of", "god", "lord", "unto", "he", "that", "in", "his", "shall");

    private static long kjvWords(String text) {
        return Arrays.stream(text.split("[^A-Za-z]+")).filter(w -> KJV_WORDS.contains(w.toLowerCase())).count();
    }

    @Test void theBaseContinuesTextInEnglish() {
        assertTrue(Files.isRegularFile(DefaultModel.BASE.path()));
        try (Model m = Model.load(DefaultModel.BASE.path())) {
            assertEquals("llama", m.config().arch());
            assertEquals(512, m.config().contextLength());
            assertNull(m.chatTemplate(), "a base model: no chat template");
        }
        String text = Samples.generate(DefaultModel.BASE.path(), "In the beginning", 40, 0f, 1);
        String continuation = text.substring("In the beginning".length());
        assertTrue(continuation.strip().length() > 20, "generated: " + text);
        assertTrue(kjvWords(continuation) >= 3, "common KJV words in: " + text);
    }

    @Test void theDefaultChatModelAnswersInsideItsTurnAndEndsIt() throws Exception {
        assertSame(DefaultModel.CHAT, DefaultModel.named(DefaultModel.NAME));
        assertEquals(DefaultModel.CHAT.path(), DefaultModel.path());
        assertSame(DefaultModel.BASE, DefaultModel.named("parley-kjv"));
        assertNull(DefaultModel.named("parley"));
        try (Model m = Model.load(DefaultModel.path()); Engine engine = new Engine(m, EngineConfig.defaults())) {
            assertEquals(512, m.config().contextLength());
            assertTrue(m.chatTemplate() != null && m.chatTemplate().contains("<|im_start|>"), "a ChatML template");
            // greedy decoding of a tiny model still loops on some prompts (MODEL_CARD.md has the rates on 200 held-out ones)
            List<String> questions = List.of("Tell me of Moses.", "What saith Psalms 23?", "Who was David?", "Speak to me of love.");
            int ended = 0;
            for (String question : questions) {
                String prompt = ChatTemplate.compile(m.chatTemplate())
                        .render(List.of(Map.of("role", "user", "content", question)), true, "", "", null, Map.of());
                CompletableFuture<Completion> done = new CompletableFuture<>();
                engine.submit(new GenerationRequest(m.tokenizer().encode(prompt, false, true),
                        SamplingParams.builder().temperature(0).maxTokens(120).build()), new GenerationListener() {
                    @Override public void onToken(TokenEvent event) {}

                    @Override public void onComplete(Completion c) { done.complete(c); }

                    @Override public void onError(RuntimeException e) { done.completeExceptionally(e); }
                });
                Completion c = done.get(60, TimeUnit.SECONDS);
                if (c.finishReason() == FinishReason.STOP) ended++;
                assertTrue(!c.text().contains("<|im_start|>") && !c.text().contains("user\n"), "stays in its turn: " + c.text());
                assertTrue(kjvWords(c.text()) >= 2, "answers in the corpus's words: " + question + " -> " + c.text());
            }
            assertTrue(ended >= 3, ended + " of 4 greedy answers end their turn");
        }
    }
}
