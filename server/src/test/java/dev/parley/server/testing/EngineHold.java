package dev.parley.server.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.GenerationListener;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.RequestHandle;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.sampling.SamplingParams;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Freezes the engine: a request whose listener blocks the engine thread at its first token. Every other request
 * (running or queued) stays where it is until {@link #release}, however fast or loaded the machine is.
 */
public final class EngineHold implements GenerationListener {
    private final CountDownLatch holding = new CountDownLatch(1), released = new CountDownLatch(1);
    private RequestHandle handle;

    public static EngineHold start(TestServer server) throws InterruptedException {
        EngineHold h = new EngineHold();
        h.handle = server.model.engine().submit(new GenerationRequest(server.model.formatter().rawPromptTokens("Hold"),
                SamplingParams.builder().maxTokens(2).build()), h);
        assertTrue(h.holding.await(10, TimeUnit.SECONDS), "the engine did not reach the holding request");
        return h;
    }

    public void release() {
        handle.cancel();
        released.countDown();
    }

    @Override public void onToken(TokenEvent e) {
        holding.countDown();
        try {
            released.await();
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
    }

    @Override public void onComplete(Completion completion) {}

    @Override public void onError(RuntimeException error) {}
}
