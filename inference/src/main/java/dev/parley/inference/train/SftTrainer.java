package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Supervised fine-tuning: mini-batches of conversations, padded to the longest, the loss counting only the assistant's
 * tokens ({@link ChatEncoder}), AdamW with warmup, cosine decay and clipping like {@link Trainer}, and no weight decay
 * (a short fine-tune should not pull the base weights toward zero). Full fine-tuning trains every weight; with a LoRA
 * rank only the adapters train (and the embedding rows of tokens the tuning added, which have nothing to start from).
 */
final class SftTrainer {
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
    private final List<ChatEncoder.Example> train;
    private final List<Param> trainable = new ArrayList<>();
    private final AdamW adam;
    private int step;
    /** (step, loss) points: every training step and every validation. */
    final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();

    SftTrainer(FineTuneBase base, List<ChatEncoder.Example> train, Options o) {
        this.base = base;
        this.train = train;
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

    /** One optimizer step on a batch drawn from the seed and the step number; returns its loss over the learned tokens. */
    double trainStep() {
        SplittableRandom rnd = new SplittableRandom(o.seed() * 1_000_003L + step);
        List<ChatEncoder.Example> batch = new ArrayList<>(o.batch());
        for (int i = 0; i < o.batch(); i++) batch.add(train.get(rnd.nextInt(train.size())));
        base.llama.zeroGradients();
        if (lora != null) lora.zeroGradients();
        double loss = loss(batch, true);
        if (lora != null && !base.addedTokens.isEmpty()) {
            // the base's own rows stay frozen: no gradient (and no weight decay) leaves them exactly as they were
            Param e = base.llama.embedding;
            Arrays.fill(e.g, 0, base.baseVocab * e.cols, 0f);
        }
        AdamW.clip(trainable, 1.0);
        adam.update(trainable, step);
        step++;
        trainCurve.add(new double[] {step, loss});
        return loss;
    }

    /** Mean loss per learned token over {@code examples}, in batches, without training. */
    double validate(List<ChatEncoder.Example> examples) {
        double sum = 0;
        long count = 0;
        for (int i = 0; i < examples.size(); i += o.batch()) {
            List<ChatEncoder.Example> batch = examples.subList(i, Math.min(examples.size(), i + o.batch()));
            long learned = 0;
            for (ChatEncoder.Example ex : batch) learned += ex.learnedCount();
            sum += loss(batch, false) * learned;
            count += learned;
        }
        double val = sum / count;
        valCurve.add(new double[] {step, val});
        return val;
    }

    /** The masked loss of one padded batch: position j predicts token j+1, counted when that token is learned. */
    double loss(List<ChatEncoder.Example> batch, boolean train) {
        int t = 0;
        for (ChatEncoder.Example ex : batch) t = Math.max(t, ex.tokens().length - 1);
        int b = batch.size();
        int[] tokens = new int[b * t], targets = new int[b * t];
        Arrays.fill(targets, CrossEntropy.IGNORED);
        for (int s = 0; s < b; s++) {
            int[] ids = batch.get(s).tokens();
            boolean[] learned = batch.get(s).learned();
            for (int j = 0; j + 1 < ids.length; j++) {
                tokens[s * t + j] = ids[j];
                if (learned[j + 1]) targets[s * t + j] = ids[j + 1];
            }
        }
        return base.llama.loss(tokens, targets, b, t, train);
    }

    /** Folds the adapters into the base weights and detaches them; the model then computes what base plus adapters did. */
    void mergeAdapters() {
        if (lora == null) return;
        lora.merge();
        base.llama.attach(null);
    }
}
