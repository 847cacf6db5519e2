package dev.parley.inference.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.DefaultModel;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.sampling.SamplingParams;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Closing an engine whose worker is in the middle of a step. */
class EngineShutdownTest {

    /**
     * The step is held until the closing thread has given up waiting; the closing thread then frees the model's
     * memory as the server's shutdown does. A bounded wait for the worker (10 s before) ends early the same way when
     * the closing thread is interrupted, which shows in half a second what a step longer than the bound shows: the
     * forward pass resumed on unmapped weights and the request ended with "Already closed".
     */
    @Test
    void closeReturnsOnlyAfterTheStepRunningThenHasEnded() throws Exception {
        Model model = Model.load(DefaultModel.path());
        CountDownLatch inStep = new CountDownLatch(1), release = new CountDownLatch(1);
        ModelRunner.Factory slowFirstStep = (m, transformer, kv) -> new ModelRunner(m, transformer, kv) {
            @Override StepOutput execute(StepPlan plan) {
                if (inStep.getCount() > 0) {
                    inStep.countDown();
                    awaitUninterruptibly(release);
                }
                return super.execute(plan);
            }
        };
        Engine engine = new Engine(model, new EngineConfig(1, 1, 64, MatmulMode.GGML), Duration.ZERO, slowFirstStep);
        CompletableFuture<Completion> done = new CompletableFuture<>();
        var params = SamplingParams.builder().temperature(0).maxTokens(50).ignoreEos(true).build();
        engine.submit(new GenerationRequest(new int[] {1, 2, 3}, params), new GenerationListener() {
            @Override public void onToken(TokenEvent event) {}
            @Override public void onComplete(Completion completion) { done.complete(completion); }
            @Override public void onError(RuntimeException error) { done.completeExceptionally(error); }
        });
        assertTrue(inStep.await(30, TimeUnit.SECONDS), "the first step started");

        Thread closer = Thread.ofPlatform().start(() -> {
            engine.close();
            model.close(); // what ServingModel.close does next: unmaps the weights the step reads
        });
        while (closer.getState() != Thread.State.WAITING && closer.getState() != Thread.State.TIMED_WAITING) Thread.onSpinWait();
        closer.interrupt();
        closer.join(500); // an engine that gives up waiting has returned, and the model is closed, by now
        boolean closedMidStep = !closer.isAlive();
        release.countDown();
        closer.join();

        Completion completion = done.get(30, TimeUnit.SECONDS); // throws ExecutionException("Already closed") before
        assertFalse(closedMidStep, "close() returned while the worker was still in its step");
        assertEquals(FinishReason.CANCELLED, completion.finishReason(), "the step ended, then the close cancelled the request");
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // keep holding the step
            }
        }
    }
}
