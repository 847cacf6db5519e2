package dev.parley.inference.engine;

import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Batch;
import dev.parley.inference.model.ForwardBuffers;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.Transformer;
import java.util.List;

/**
 * Only computes: turns a {@link StepPlan} into one batch of rows (each sequence's next tokens at their positions,
 * through its block table), runs one forward pass and returns the logits (and an embedding sequence's hidden
 * states), changing no sequence. Step buffers and the
 * batch are reused, so steady decoding allocates almost nothing. Not final: a test slows its step down.
 */
class ModelRunner implements AutoCloseable {
    /** How the engine makes its runner (a test wraps the real one). */
    @FunctionalInterface
    interface Factory {
        ModelRunner create(Model model, Transformer transformer, PagedKvCache kv);
    }

    private final Transformer transformer;
    private final PagedKvCache kv;
    private final ForwardBuffers buffers;
    private final Batch batch = new Batch();
    private float[][] logitsByEntry = new float[16][];
    private int[] hiddenStart = new int[16];

    ModelRunner(Model model, Transformer transformer, PagedKvCache kv) {
        this.transformer = transformer;
        this.kv = kv;
        this.buffers = new ForwardBuffers(model.config());
    }

    Transformer transformer() {
        return transformer;
    }

    /**
     * Makes the plan's block copies, then runs its rows in one forward pass. Returns, per plan entry, the logits of its last row when that row is
     * the sequence's last token (else null), and the hidden states of the rows embedding sequences pool; the arrays
     * are overwritten by the next call.
     */
    StepOutput execute(StepPlan plan) {
        List<StepPlan.Entry> entries = plan.entries();
        for (StepPlan.BlockCopy copy : plan.copies()) kv.copyBlock(copy.fromBlock(), copy.toBlock()); // before any write
        batch.clear();
        if (hiddenStart.length < entries.size()) hiddenStart = new int[Math.max(entries.size(), 2 * hiddenStart.length)];
        for (int i = 0; i < entries.size(); i++) {
            Sequence seq = entries.get(i).seq();
            Pooler pooler = seq.pooler();
            int from = seq.computedTokens(), total = seq.totalTokens();
            hiddenStart[i] = batch.hiddenRows();
            for (int p = from; p < from + entries.get(i).tokens(); p++) {
                boolean hidden = pooler != null && pooler.wants(p, total);
                batch.add(seq.tokens()[p], p, seq.table().ids(), pooler == null && p == total - 1, hidden, seq.adapter());
            }
        }
        float[][] logitRows = transformer.forward(batch, kv, buffers);
        if (logitsByEntry.length < entries.size()) logitsByEntry = new float[Math.max(entries.size(), 2 * logitsByEntry.length)][];
        int row = 0;
        for (int i = 0; i < entries.size(); i++) {
            Sequence seq = entries.get(i).seq();
            boolean last = seq.pooler() == null && seq.computedTokens() + entries.get(i).tokens() == seq.totalTokens();
            logitsByEntry[i] = last ? logitRows[row++] : null;
        }
        return new StepOutput(logitsByEntry, buffers.hiddenStates(), hiddenStart, null);
    }

    @Override public void close() {
        kv.close();
    }
}
