package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What every fine-tuning objective shares: which weights train and how they move. Full fine-tuning trains every weight;
 * with a LoRA rank only the adapters train (and the embedding rows of tokens the tuning added, which have nothing to
 * start from). AdamW with warmup, cosine decay and clipping like {@link Trainer}, and no weight decay (a short fine-tune
 * should not pull the base weights toward zero).
 */
final class Tuning {
    /** lora rank 0 = full fine-tuning. */
    record Options(int batch, int steps, float lr, long seed, int loraRank, float loraAlpha) {
        Options {
            if (batch < 1 || steps < 1) throw new IllegalArgumentException("--batch and --steps must be at least 1");
            if (loraRank < 0) throw new IllegalArgumentException("--lora-rank " + loraRank + " must not be negative");
        }
    }

    final FineTuneBase base;
    final Options o;
    final Lora lora;
    private final List<Param> trainable = new ArrayList<>();
    private final AdamW adam;
    private int step;

    Tuning(FineTuneBase base, Options o) {
        this.base = base;
        this.o = o;
        Llama model = base.llama;
        if (o.loraRank() > 0) {
            lora = new Lora(model, o.loraRank(), o.loraAlpha(), o.seed());
            model.attach(lora);
            trainable.addAll(lora.params);
            if (!base.addedTokens.isEmpty()) trainable.add(model.embedding);
        } else {
            lora = null;
            trainable.addAll(model.params);
        }
        adam = new AdamW(o.lr(), o.lr() / 10, Math.max(1, Math.min(100, o.steps() / 10)), o.steps(), 0f, 0.99f);
    }

    int stepsDone() { return step; }
    float learningRate() { return adam.rate(step); }

    long trainableParameters() {
        long n = 0;
        for (Param p : trainable) n += p == base.llama.embedding ? (long) (p.rows - base.baseVocab) * p.cols : p.w.length;
        return n;
    }

    void zeroGradients() {
        base.llama.zeroGradients();
        if (lora != null) lora.zeroGradients();
    }

    /** One optimizer step with the gradients the objective left in the parameters. */
    void update() {
        if (lora != null && !base.addedTokens.isEmpty()) {
            // the base's own rows stay frozen: no gradient (and no weight decay) leaves them exactly as they were
            Param e = base.llama.embedding;
            Arrays.fill(e.g, 0, base.baseVocab * e.cols, 0f);
        }
        AdamW.clip(trainable, 1.0);
        adam.update(trainable, step);
        step++;
    }

    /** Folds the adapters into the base weights and detaches them; the model then computes what base plus adapters did. */
    void mergeAdapters() {
        if (lora == null) return;
        lora.merge();
        base.llama.attach(null);
    }
}
