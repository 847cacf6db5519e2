package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The DPO objective on one batch of pairs (Rafailov et al. 2023): −log σ(β·[(log π(w|x) − log π_ref(w|x)) − (log π(l|x)
 * − log π_ref(l|x))]) averaged over the pairs, an answer's log-probability being the sum over its scored tokens (the reply
 * and its end token). The chosen answers and the rejected ones run as one padded batch; the gradient reaches the logits as
 * weight·(onehot − softmax) on each answer's scored rows and goes back through {@link Llama#backward}.
 *
 * <p>Statistics: the rewards β·(log π − log π_ref) of the chosen and rejected answers; the preference accuracy, the share
 * of pairs whose chosen reward exceeds the rejected one (ties, margins within {@link #TIE}, count half, so the untrained
 * policy, where both rewards are 0, scores 50%); the likelihood accuracy, the share where the policy itself gives the
 * chosen answer the higher probability; and the KL divergence to the reference as {@link #KL_ESTIMATOR} says.
 */
final class DpoLoss {
    /**
     * Reward margins this small count as ties: the untrained policy scored against itself is not exactly 0 everywhere
     * (observed: with freshly attached LoRA adapters, B = 0, answers' log-probabilities moved by ~1e-7 absolute, a
     * float rounding whose cause was not pinned down), and a rounding must not count as a preference.
     */
    static final double TIE = 1e-6;
    static final String KL_ESTIMATOR = "KL(policy || reference) per answer token, exact over the vocabulary at every token of "
            + "the batch's chosen and rejected answers (teacher-forced on the pair texts)";

    /** What the frozen reference gives one answer: its log-probability and, when cached, its distribution at each token. */
    record Reference(double logProb, float[] logProbs) {}

    /** A pair and its reference scores. */
    record Scored(PreferenceData.Pair pair, Reference chosen, Reference rejected) {}

    /** Means over the pairs of a batch (KL over the answer tokens whose reference distributions are cached). */
    record Stats(double loss, double accuracy, double chosenReward, double rejectedReward, double likelihoodAccuracy, double kl,
                 long klTokens, int pairs) {
        double margin() { return chosenReward - rejectedReward; }

        /** The pair-weighted mean of several batches' statistics (the KL weighted by its tokens). */
        static Stats mean(List<Stats> parts) {
            double[] sum = new double[5];
            double kl = 0;
            long tokens = 0;
            int pairs = 0;
            for (Stats s : parts) {
                double[] v = {s.loss, s.accuracy, s.chosenReward, s.rejectedReward, s.likelihoodAccuracy};
                for (int i = 0; i < v.length; i++) sum[i] += v[i] * s.pairs;
                if (s.klTokens > 0) kl += s.kl * s.klTokens;
                tokens += s.klTokens;
                pairs += s.pairs;
            }
            for (int i = 0; i < sum.length; i++) sum[i] /= pairs;
            return new Stats(sum[0], sum[1], sum[2], sum[3], sum[4], tokens > 0 ? kl / tokens : Double.NaN, tokens, pairs);
        }
    }

    private DpoLoss() {}

    /** Each pair's chosen then rejected answer: sequence 2i is pair i's chosen, 2i+1 its rejected. */
    static List<ChatEncoder.Example> answers(List<PreferenceData.Pair> pairs) {
        List<ChatEncoder.Example> out = new ArrayList<>(2 * pairs.size());
        for (PreferenceData.Pair p : pairs) { out.add(p.chosen()); out.add(p.rejected()); }
        return out;
    }

    /** The loss of one batch and its statistics; with {@code train} the gradients go into {@code model}'s trainable weights. */
    static Stats of(Llama model, List<Scored> batch, float beta, boolean train) {
        List<PreferenceData.Pair> pairs = new ArrayList<>(batch.size());
        for (Scored s : batch) pairs.add(s.pair());
        PaddedBatch p = PaddedBatch.of(answers(pairs));
        int n = batch.size(), vocab = model.config().vocab();
        float[] logits = model.forward(p.tokens(), p.sequences(), p.length());
        double[] logProb = new double[2 * n], kl = new double[2 * n];
        float[][] ref = new float[2 * n][];
        for (int i = 0; i < n; i++) {
            ref[2 * i] = batch.get(i).chosen().logProbs();
            ref[2 * i + 1] = batch.get(i).rejected().logProbs();
        }
        AnswerScores.of(logits, p, vocab, logProb, null, ref, kl);
        double loss = 0, accuracy = 0, chosen = 0, rejected = 0, likelihood = 0, klSum = 0;
        long klTokens = 0;
        double[] weight = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double rc = beta * (logProb[2 * i] - batch.get(i).chosen().logProb());
            double rr = beta * (logProb[2 * i + 1] - batch.get(i).rejected().logProb());
            double z = rc - rr;
            loss += softplus(-z);
            accuracy += z > TIE ? 1 : z >= -TIE ? 0.5 : 0;
            likelihood += logProb[2 * i] > logProb[2 * i + 1] ? 1 : logProb[2 * i] == logProb[2 * i + 1] ? 0.5 : 0;
            chosen += rc;
            rejected += rr;
            // dL/dz = −σ(−z); dz/dlogπ(w) = β, dz/dlogπ(l) = −β
            double coefficient = beta * sigmoid(-z) / n;
            weight[2 * i] = -coefficient;
            weight[2 * i + 1] = coefficient;
            for (int s = 2 * i; s <= 2 * i + 1; s++)
                if (ref[s] != null) { klSum += kl[s]; klTokens += p.counted(s); }
        }
        if (train) {
            AnswerScores.gradient(logits, p, vocab, weight);
            model.backward(p.tokens());
        }
        return new Stats(loss / n, accuracy / n, chosen / n, rejected / n, likelihood / n, klTokens > 0 ? klSum / klTokens : Double.NaN,
                klTokens, n);
    }

    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
