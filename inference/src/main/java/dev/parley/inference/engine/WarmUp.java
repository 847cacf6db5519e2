package dev.parley.inference.engine;

import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Batch;
import dev.parley.inference.model.ForwardBuffers;
import dev.parley.inference.model.ModelConfig;
import dev.parley.inference.model.Transformer;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Runs the forward pass on throw-away batches of the shapes serving uses (a prefill chunk, decode batches of 1, 2, 4
 * and 8 rows up to maxRunning) until a time budget is spent, before the engine takes requests. C2 compiles the large
 * batched kernels only after seconds of use; without this the first users of a fresh server pay for the
 * interpreter (a 110M model's 128-token prefill runs at ~160 tok/s before compilation and ~700 after).
 *
 * <p>Uses its own small KV cache and buffers: no block of the engine's cache, no prefix-cache entry and no counter
 * is touched, so warming up changes nothing a request can observe except its speed.
 */
final class WarmUp {
    private WarmUp() {}

    /**
     * Returns the forward passes run: at least one round of every shape, then rounds until {@code budget} is spent
     * or {@code stop} says the engine is closing.
     */
    static int run(Transformer transformer, EngineConfig config, Duration budget, BooleanSupplier stop) {
        if (budget.isZero() || budget.isNegative()) return 0;
        ModelConfig c = transformer.config();
        int chunk = Math.max(1, Math.min(Math.min(config.prefillChunk(), 64), c.contextLength() - 1));
        int blockSize = config.kvBlockSize(), blocks = chunk / blockSize + 1;
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        ForwardBuffers buffers = new ForwardBuffers(c);
        Batch batch = new Batch();
        long deadline = System.nanoTime() + budget.toNanos();
        int passes = 0;
        try (PagedKvCache kv = new PagedKvCache(c.kvShape(), config.kvFormat(), blockSize, blocks)) {
            do {
                batch.clear();
                for (int p = 0; p < chunk; p++) batch.add(1 + p % (c.vocabSize() - 1), p, table, p == chunk - 1);
                transformer.forward(batch, kv, buffers);
                passes++;
                for (int rows = 1; rows <= Math.min(8, config.maxRunning()); rows *= 2) {
                    // decode-shaped: every row at the last position of the one sequence (their writes to that slot
                    // are garbage nobody reads), each with logits, as running sequences have
                    batch.clear();
                    for (int r = 0; r < rows; r++) batch.add(1 + r, chunk - 1, table, true);
                    transformer.forward(batch, kv, buffers);
                    passes++;
                }
            } while (System.nanoTime() < deadline && !stop.getAsBoolean());
        }
        return passes;
    }
}
