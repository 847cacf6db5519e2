package dev.parley.inference.engine;

import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Batch;
import dev.parley.inference.model.ForwardBuffers;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.Transformer;
import java.util.List;

/**
 * Only computes: turns the scheduler's work into one batch of rows (each sequence's next tokens at their positions,
 * through its block table), runs one forward pass and hands each sequence the logits of its last row when that row is
 * the sequence's last token. Step buffers and the batch are reused, so steady decoding allocates almost nothing.
 */
final class ModelRunner implements AutoCloseable {
    private final Transformer transformer;
    private final PagedKvCache kv;
    private final ForwardBuffers buffers;
    private final Batch batch = new Batch();

    Transformer transformer() {
        return transformer;
    }

    ModelRunner(Model model, Transformer transformer, PagedKvCache kv) {
        this.transformer = transformer;
        this.kv = kv;
        this.buffers = new ForwardBuffers(model.config());
    }

    /** Runs one step; returns the rows computed. Sequences are advanced (and may sample) in work order. */
    int run(List<Scheduler.Work> work) {
        batch.clear();
        for (Scheduler.Work w : work) {
            Sequence s = w.seq();
            int from = s.cachedTokens(), last = s.totalTokens() - 1;
            for (int p = from; p < from + w.tokens(); p++) batch.add(s.tokens()[p], p, s.table().ids(), p == last);
        }
        float[][] logits = transformer.forward(batch, kv, buffers);
        int row = 0;
        for (Scheduler.Work w : work) {
            Sequence s = w.seq();
            boolean sampled = s.cachedTokens() + w.tokens() == s.totalTokens();
            float[] l = sampled ? logits[row++] : null;
            Engine.safely(s, () -> s.advance(w.tokens(), l));
        }
        return batch.size();
    }

    @Override public void close() {
        kv.close();
    }
}
