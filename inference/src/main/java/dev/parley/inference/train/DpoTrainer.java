package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Direct Preference Optimization's training loop ({@link DpoLoss} is the objective). The reference is frozen, so its
 * log-probabilities of every pair's answers are computed once, when the trainer is built, not at every step, and the
 * reference model need not stay loaded; its distributions at the answer tokens are kept as far as memory allows, for
 * the KL. Which weights train and the optimizer are {@link Tuning}'s.
 */
final class DpoTrainer {
    final Tuning tuning;
    final FineTuneBase policy;
    final float beta;
    final List<DpoLoss.Scored> train, val;
    /** Answer tokens whose reference distributions are cached for the KL, and all answer tokens. */
    final long cachedTokens, answerTokens;
    /** (step, loss) points: every training step and every validation. */
    final List<double[]> trainCurve = new ArrayList<>(), valCurve = new ArrayList<>();

    /**
     * Scores every pair with {@code reference} (the policy itself when it is the same object), then makes the policy
     * trainable. The reference's distributions at the answer tokens are kept for the KL up to {@code cacheBytes}, in data
     * order, training pairs first.
     */
    DpoTrainer(FineTuneBase policy, FineTuneBase reference, List<PreferenceData.Pair> train, List<PreferenceData.Pair> val,
               Tuning.Options o, float beta, long cacheBytes) {
        if (!(beta > 0) || !Float.isFinite(beta)) throw new IllegalArgumentException("--beta " + beta + " must be positive");
        if (reference != policy) checkSameVocabulary(policy, reference);
        this.policy = policy;
        this.beta = beta;
        long[] budget = {cacheBytes / Float.BYTES / policy.llama.config().vocab()}, tokens = {0, 0};
        this.train = score(reference.llama, train, o.batch(), budget, tokens);
        this.val = val == null ? List.of() : score(reference.llama, val, o.batch(), budget, tokens);
        this.cachedTokens = tokens[0];
        this.answerTokens = tokens[1];
        this.tuning = new Tuning(policy, o); // after scoring: with LoRA attached the reference pass would cost more
    }

    private static void checkSameVocabulary(FineTuneBase policy, FineTuneBase reference) {
        var p = policy.engineModel.tokenizer();
        var r = reference.engineModel.tokenizer();
        boolean same = policy.llama.config().vocab() == reference.llama.config().vocab() && p.vocabSize() == r.vocabSize()
                && policy.addedTokens.equals(reference.addedTokens);
        for (int i = 0; same && i < p.vocabSize(); i++) same = p.tokenText(i).equals(r.tokenText(i));
        if (!same)
            throw new IllegalArgumentException("--ref: the reference's vocabulary differs from the policy's (the answers' tokens must "
                    + "mean the same to both)");
    }

    private static List<DpoLoss.Scored> score(Llama reference, List<PreferenceData.Pair> pairs, int batch, long[] budget, long[] tokens) {
        List<DpoLoss.Scored> out = new ArrayList<>(pairs.size());
        for (int i = 0; i < pairs.size(); i += batch) {
            List<PreferenceData.Pair> part = pairs.subList(i, Math.min(pairs.size(), i + batch));
            PaddedBatch p = PaddedBatch.of(DpoLoss.answers(part));
            float[] logits = reference.forward(p.tokens(), p.sequences(), p.length());
            double[] logProb = new double[p.sequences()];
            float[][] keep = new float[p.sequences()][];
            for (int s = 0; s < p.sequences(); s++) {
                int counted = p.counted(s);
                tokens[1] += counted;
                if (counted <= budget[0]) {
                    keep[s] = new float[counted * reference.config().vocab()];
                    budget[0] -= counted;
                    tokens[0] += counted;
                }
            }
            AnswerScores.of(logits, p, reference.config().vocab(), logProb, keep, null, null);
            for (int j = 0; j < part.size(); j++)
                out.add(new DpoLoss.Scored(part.get(j), new DpoLoss.Reference(logProb[2 * j], keep[2 * j]),
                        new DpoLoss.Reference(logProb[2 * j + 1], keep[2 * j + 1])));
        }
        return out;
    }

    /** One optimizer step on a batch of pairs drawn from the seed and the step number. */
    DpoLoss.Stats trainStep() {
        Tuning.Options o = tuning.o;
        SplittableRandom rnd = new SplittableRandom(o.seed() * 1_000_003L + tuning.stepsDone());
        List<DpoLoss.Scored> batch = new ArrayList<>(o.batch());
        for (int i = 0; i < o.batch(); i++) batch.add(train.get(rnd.nextInt(train.size())));
        tuning.zeroGradients();
        DpoLoss.Stats s = loss(batch, true);
        long tokens = 0;
        for (DpoLoss.Scored pair : batch) tokens += pair.pair().chosen().tokens().length + pair.pair().rejected().tokens().length - 2;
        tuning.update(tokens);
        trainCurve.add(new double[] {tuning.stepsDone(), s.loss()});
        return s;
    }

    /** The statistics over the held-out pairs, in batches, without training. */
    DpoLoss.Stats validate() {
        if (val.isEmpty()) throw new IllegalStateException("no validation pairs");
        List<DpoLoss.Stats> parts = new ArrayList<>();
        int size = tuning.o.batch();
        for (int i = 0; i < val.size(); i += size) parts.add(loss(val.subList(i, Math.min(val.size(), i + size)), false));
        DpoLoss.Stats s = DpoLoss.Stats.mean(parts);
        valCurve.add(new double[] {tuning.stepsDone(), s.loss()});
        return s;
    }

    /** The DPO loss of one batch and its statistics; with {@code train} the gradients are added into the trainable weights. */
    DpoLoss.Stats loss(List<DpoLoss.Scored> batch, boolean train) {
        return DpoLoss.of(policy.llama, batch, beta, train);
    }
}
