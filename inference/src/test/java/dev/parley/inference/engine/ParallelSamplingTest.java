package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.constrain.GrammarSource;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.testing.Shared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Several answers to one prompt (OpenAI's {@code n}) on a real model: the prompt is computed once, the answers fork
 * from it sharing its KV blocks, and each answer is exactly what a single request with its seed produces.
 */
class ParallelSamplingTest {
    private static Model model;
    /** Its last block (of 16 positions) is partly filled, so the forks share it until they copy it. */
    private static int[] prompt;

    @BeforeAll
    static void load() {
        model = Model.load(Shared.path("models/stories260K").resolve("stories260K.gguf"));
        prompt = model.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved", true, false);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    private static EngineConfig config(int maxRunning) {
        return new EngineConfig(maxRunning, 64, 64, MatmulMode.GGML);
    }

    private static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().temperature(0).maxTokens(maxTokens).ignoreEos(true).build();
    }

    private static SamplingParams sampled(long seed, int maxTokens) {
        return SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0).seed(seed).maxTokens(maxTokens)
                .ignoreEos(true).build();
    }

    /** One listener per answer, completing its future. */
    private static final class Answer implements GenerationListener {
        final CompletableFuture<Completion> done = new CompletableFuture<>();
        final AtomicInteger tokens = new AtomicInteger();
        volatile Runnable onToken = () -> {};

        @Override public void onToken(TokenEvent t) {
            if (t.token() >= 0) tokens.incrementAndGet();
            onToken.run();
        }
        @Override public void onComplete(Completion c) { done.complete(c); }
        @Override public void onError(RuntimeException x) { done.completeExceptionally(x); }

        Completion get() throws Exception { return done.get(120, TimeUnit.SECONDS); }
    }

    private static List<Answer> answers(int n) {
        List<Answer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new Answer());
        return out;
    }

    private static Completion alone(SamplingParams params, TokenConstraint constraint, EngineConfig config) throws Exception {
        try (Engine e = new Engine(model, config)) {
            Answer a = new Answer();
            e.submit(new GenerationRequest(prompt, params, constraint), a);
            return a.get();
        }
    }

    @Test
    void greedyAnswersEqualASingleRequestAndThePromptIsComputedOnce() throws Exception {
        assertNotEquals(0, prompt.length % EngineConfig.DEFAULT_BLOCK_SIZE, "the last prompt block is partial");
        int max = 40;
        Completion single = alone(greedy(max), null, config(1));
        try (Engine e = new Engine(model, config(4))) {
            List<Answer> answers = answers(4);
            e.submitChoices(new GenerationRequest(prompt, greedy(max)), answers);
            for (Answer a : answers) {
                Completion c = a.get();
                assertArrayEquals(single.generatedTokens(), c.generatedTokens());
                assertEquals(single.text(), c.text());
                assertEquals(FinishReason.LENGTH, c.finishReason());
                assertEquals(prompt.length, c.promptTokens());
            }
            EngineStats s = e.stats();
            // the prompt once, then one row per decode step and answer (each answer's last token is not run)
            assertEquals(prompt.length + 4L * (max - 1), s.computedTokens());
            int blocksPerAnswer = (prompt.length + max - 1 + 15) / 16; // positions holding computed keys and values
            int promptFullBlocks = prompt.length / 16;
            assertEquals(promptFullBlocks + 4L * (blocksPerAnswer - promptFullBlocks), s.peakUsedBlocks(),
                    "the full prompt blocks are held once; each answer has its own from the partial one on");
        }
    }

    @Test
    void eachSeededAnswerEqualsASingleRequestWithItsDerivedSeed() throws Exception {
        long seed = 1234;
        int max = 48;
        List<Completion> singles = new ArrayList<>();
        for (int i = 0; i < 4; i++) singles.add(alone(sampled(seed + i, max), null, config(1)));
        assertTrue(singles.stream().map(c -> Arrays.toString(c.generatedTokens())).distinct().count() > 1,
                "the seeds give different answers, so a shared block written by two of them would show");
        // block size 16 (the prompt's last block shared and copied) and 4 (the same, with more full blocks shared)
        for (int blockSize : new int[] {16, 4}) {
            long blockBytes = PagedKvCache.blockBytes(model.config().kvShape(), KvFormat.F32, blockSize);
            try (Engine e = new Engine(model, config(4).withKvCache(4096 * blockBytes, blockSize, KvFormat.F32))) {
                List<Answer> answers = answers(4);
                e.submitChoices(new GenerationRequest(prompt, sampled(seed, max)), answers);
                for (int i = 0; i < 4; i++) {
                    assertArrayEquals(singles.get(i).generatedTokens(), answers.get(i).get().generatedTokens(),
                            "answer " + i + " with block size " + blockSize);
                }
                waitForAllBlocksFree(e);
            }
        }
    }

    @Test
    void forksPreemptedUnderATinyKvBudgetStillGiveTheirAnswers() throws Exception {
        long seed = 99;
        int max = 60;
        List<int[]> singles = new ArrayList<>();
        for (int i = 0; i < 4; i++) singles.add(alone(sampled(seed + i, max), null, config(1)).generatedTokens());
        long blockBytes = PagedKvCache.blockBytes(model.config().kvShape(), KvFormat.F32, 8);
        // 4 answers of 82 positions need 4 x 11 blocks of 8; 24 blocks force preemption and recomputation of forks
        try (Engine e = new Engine(model, config(4).withKvCache(24 * blockBytes, 8, KvFormat.F32))) {
            List<Answer> answers = answers(4);
            e.submitChoices(new GenerationRequest(prompt, sampled(seed, max)), answers);
            for (int i = 0; i < 4; i++) assertArrayEquals(singles.get(i), answers.get(i).get().generatedTokens(), "answer " + i);
            assertTrue(e.stats().preemptions() > 0, "the budget forced preemption: " + e.stats());
            waitForAllBlocksFree(e);
        }
    }

    @Test
    void eachConstrainedAnswerHasItsOwnMatcher() throws Exception {
        try (Engine e = new Engine(model, config(6))) {
            TokenConstraint regex = e.grammars().constraint(GrammarSource.regex("[0-9]{3}-[a-c]{2}"));
            SamplingParams params = SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0).seed(5).maxTokens(100).build();
            List<Answer> answers = answers(6);
            e.submitChoices(new GenerationRequest(prompt, params, regex), answers);
            Set<String> texts = new HashSet<>();
            for (Answer a : answers) {
                Completion c = a.get();
                assertTrue(c.text().matches("[0-9]{3}-[a-c]{2}"), c.text());
                assertEquals(FinishReason.STOP, c.finishReason());
                texts.add(c.text());
            }
            assertTrue(texts.size() > 1, "different seeds sample different valid outputs: " + texts);
        }
    }

    @Test
    void cancellingTheRequestEndsEveryAnswerAndFreesEveryBlock() throws Exception {
        try (Engine e = new Engine(model, config(4))) {
            List<Answer> answers = answers(3);
            AtomicReference<RequestHandle> handle = new AtomicReference<>();
            answers.getFirst().onToken = () -> {
                if (answers.getFirst().tokens.get() >= 5 && handle.get() != null) handle.get().cancel();
            };
            handle.set(e.submitChoices(new GenerationRequest(prompt, greedy(400)), answers));
            for (Answer a : answers) {
                Completion c = a.get();
                assertEquals(FinishReason.CANCELLED, c.finishReason());
                assertTrue(c.generatedTokens().length < 400);
            }
            assertTrue(handle.get().isDone());
            waitForAllBlocksFree(e);
            assertEquals(0, e.runningCount());
        }
    }

    @Test
    void answersCancelledBeforeTheForkAreToldToo() throws Exception {
        try (Engine e = new Engine(model, config(4))) {
            // a long prompt computed in chunks of 64: the cancel lands while it is still being read
            int[] longPrompt = new int[400];
            for (int i = 0; i < longPrompt.length; i++) longPrompt[i] = prompt[i % prompt.length];
            List<Answer> answers = answers(3);
            RequestHandle h = e.submitChoices(new GenerationRequest(longPrompt, greedy(10)), answers);
            h.cancel();
            for (Answer a : answers) {
                Completion c = a.get();
                assertEquals(FinishReason.CANCELLED, c.finishReason());
                assertEquals(0, c.generatedTokens().length);
            }
            assertTrue(h.isDone());
            waitForAllBlocksFree(e);
        }
    }

    @Test
    void admissionCountsEveryAnswer() throws Exception {
        try (Engine e = new Engine(model, config(4))) {
            AtomicInteger mostRunning = new AtomicInteger();
            List<Answer> first = answers(3), second = answers(3);
            for (Answer a : first) a.onToken = () -> mostRunning.accumulateAndGet(e.runningCount(), Math::max);
            for (Answer a : second) a.onToken = () -> mostRunning.accumulateAndGet(e.runningCount(), Math::max);
            e.submitChoices(new GenerationRequest(prompt, greedy(30)), first);
            e.submitChoices(new GenerationRequest(prompt, greedy(30)), second);
            for (Answer a : first) a.get();
            for (Answer a : second) a.get();
            // 3 + 3 answers do not fit 4 places: the second request waited for the first to finish
            assertTrue(mostRunning.get() <= 4, "never more than 4 sequences running: " + mostRunning.get());
            assertEquals(3 * 29L + 3 * 29L, e.stats().computedTokens() - 2L * prompt.length + prefixHitOf(second),
                    "each request's prompt once (the second partly from the prefix cache), then its decode rows");
        }
    }

    private static long prefixHitOf(List<Answer> answers) throws Exception {
        return answers.getFirst().get().cachedTokens();
    }

    @Test
    void refusesNoAnswersAndMoreAnswersThanTheEngineRuns() {
        try (Engine e = new Engine(model, config(2))) {
            GenerationRequest request = new GenerationRequest(prompt, greedy(5));
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class, () -> e.submitChoices(request, answers(3)));
            assertTrue(tooMany.getMessage().contains("n = 3"), tooMany.getMessage());
            assertThrows(IllegalArgumentException.class, () -> e.submitChoices(request, List.of()));
        }
    }

    @Test
    void childSeedsAreTheRequestSeedPlusTheAnswersIndex() {
        SamplingParams seeded = sampled(41, 5);
        assertSame(seeded, Sequence.choiceParams(seeded, 0));
        assertEquals(44, Sequence.choiceParams(seeded, 3).seed());
        SamplingParams random = SamplingParams.builder().build();
        assertEquals(SamplingParams.RANDOM_SEED, Sequence.choiceParams(random, 2).seed(), "each answer draws its own");
    }

    private static void waitForAllBlocksFree(Engine e) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int total = e.stats().totalBlocks();
        while (e.stats().freeBlocks() != total && System.nanoTime() < deadline) Thread.sleep(5);
        assertEquals(total, e.stats().freeBlocks(), "every block back on the free list");
    }
}
