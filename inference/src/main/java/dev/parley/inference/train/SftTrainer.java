package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Supervised fine-tuning: mini-batches of conversations, padded to the longest, the loss counting only the assistant's
 * tokens ({@link ChatEncoder}); which weights train and the optimizer are {@link Tuning}'s.
 */
final class SftTrainer {
    final Tuning tuning;
    final FineTuneBase base;
    private final List<ChatEncoder.Example> train;
    /** (step, loss) points: every training step and every validation. */
    final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();

    SftTrainer(FineTuneBase base, List<ChatEncoder.Example> train, Tuning.Options o) {
        this.base = base;
        this.train = train;
        this.tuning = new Tuning(base, o);
    }

    /** One optimizer step on a batch drawn from the seed and the step number; returns its loss over the learned tokens. */
    double trainStep() {
        Tuning.Options o = tuning.o;
        SplittableRandom rnd = new SplittableRandom(o.seed() * 1_000_003L + tuning.stepsDone());
        List<ChatEncoder.Example> batch = new ArrayList<>(o.batch());
        for (int i = 0; i < o.batch(); i++) batch.add(train.get(rnd.nextInt(train.size())));
        tuning.zeroGradients();
        double loss = loss(batch, true);
        long tokens = 0;
        for (ChatEncoder.Example ex : batch) tokens += ex.tokens().length - 1;
        tuning.update(tokens);
        trainCurve.add(new double[] {tuning.stepsDone(), loss});
        return loss;
    }

    /** Mean loss per learned token over {@code examples}, in batches, without training. */
    double validate(List<ChatEncoder.Example> examples) {
        double sum = 0;
        long count = 0;
        int size = tuning.o.batch();
        for (int i = 0; i < examples.size(); i += size) {
            List<ChatEncoder.Example> batch = examples.subList(i, Math.min(examples.size(), i + size));
            long learned = 0;
            for (ChatEncoder.Example ex : batch) learned += ex.learnedCount();
            sum += loss(batch, false) * learned;
            count += learned;
        }
        double val = sum / count;
        valCurve.add(new double[] {tuning.stepsDone(), val});
        return val;
    }

    /** The masked loss of one padded batch. */
    double loss(List<ChatEncoder.Example> batch, boolean train) {
        PaddedBatch p = PaddedBatch.of(batch);
        return base.llama.loss(p.tokens(), p.targets(), p.sequences(), p.length(), train);
    }
}
