package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The DPO loss against its formula and finite differences, for full tuning and through LoRA adapters, and its KL. */
class DpoGradientTest {
    private static final float SCALE = 100f, BETA = 0.5f;
    private static final LlamaConfig SHAPE = new LlamaConfig(23, 16, 2, 4, 2, 24, 8);

    /** Three pairs of random answers (lengths 1-4, the end token included) to random prompts; tokens ≤ the context. */
    private static List<PreferenceData.Pair> pairs() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<PreferenceData.Pair> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int[] prompt = new int[2 + rnd.nextInt(3)];
            for (int j = 0; j < prompt.length; j++) prompt[j] = rnd.nextInt(SHAPE.vocab());
            out.add(new PreferenceData.Pair(answer(prompt, 1 + rnd.nextInt(4), rnd), answer(prompt, 1 + rnd.nextInt(4), rnd)));
        }
        return out;
    }

    private static ChatEncoder.Example answer(int[] prompt, int length, SplittableRandom rnd) {
        int[] tokens = new int[prompt.length + length];
        boolean[] learned = new boolean[tokens.length];
        System.arraycopy(prompt, 0, tokens, 0, prompt.length);
        for (int j = prompt.length; j < tokens.length; j++) { tokens[j] = rnd.nextInt(SHAPE.vocab()); learned[j] = true; }
        return new ChatEncoder.Example(tokens, learned);
    }

    /** log π(answer | prompt) from the model's logits, one sequence at a time, in plain loops. */
    private static double logProb(Llama model, ChatEncoder.Example ex) {
        int t = ex.tokens().length - 1, vocab = SHAPE.vocab();
        float[] logits = model.forward(java.util.Arrays.copyOf(ex.tokens(), t), 1, t);
        double sum = 0;
        for (int j = 0; j < t; j++) {
            if (!ex.learned()[j + 1]) continue;
            double z = 0;
            for (int v = 0; v < vocab; v++) z += Math.exp(logits[j * vocab + v]);
            sum += logits[j * vocab + ex.tokens()[j + 1]] - Math.log(z);
        }
        return sum;
    }

    /** The pairs with reference log-probabilities shifted from the model's own by ±1, so the pairs' margins differ. */
    private static List<DpoLoss.Scored> scored(Llama model) {
        SplittableRandom rnd = new SplittableRandom(3);
        List<DpoLoss.Scored> out = new ArrayList<>();
        for (PreferenceData.Pair p : pairs())
            out.add(new DpoLoss.Scored(p, new DpoLoss.Reference(logProb(model, p.chosen()) + rnd.nextDouble(-1, 1), null),
                    new DpoLoss.Reference(logProb(model, p.rejected()) + rnd.nextDouble(-1, 1), null)));
        return out;
    }

    @Test void lossIsTheFormulaOverTheAnswersSummedLogProbabilities() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        List<DpoLoss.Scored> batch = scored(model);
        double loss = 0, chosen = 0, rejected = 0;
        for (DpoLoss.Scored s : batch) {
            double rc = BETA * (logProb(model, s.pair().chosen()) - s.chosen().logProb());
            double rr = BETA * (logProb(model, s.pair().rejected()) - s.rejected().logProb());
            loss += -Math.log(1 / (1 + Math.exp(-(rc - rr))));
            chosen += rc;
            rejected += rr;
        }
        DpoLoss.Stats stats = DpoLoss.of(model, batch, BETA, false);
        assertEquals(loss / batch.size(), stats.loss(), 1e-5);
        assertEquals(chosen / batch.size(), stats.chosenReward(), 1e-5);
        assertEquals(rejected / batch.size(), stats.rejectedReward(), 1e-5);
        assertTrue(Double.isNaN(stats.kl()), "no reference distributions, no KL");
    }

    @Test void gradientOfEveryParameter() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        List<DpoLoss.Scored> batch = scored(model);
        model.zeroGradients();
        DpoLoss.of(model, batch, BETA, true);
        for (Param p : model.params)
            GradientCheck.check("dpo." + p.name, p.w, scaled(p.g), () -> SCALE * DpoLoss.of(model, batch, BETA, false).loss(), 12, 1e-2f,
                    2e-2);
    }

    @Test void gradientThroughLoraAndAFrozenBase() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        List<DpoLoss.Scored> batch = scored(model);
        Lora lora = new Lora(model, 3, 6f, 9);
        SplittableRandom rnd = new SplittableRandom(2);
        for (Param p : lora.params) // B starts at zero, which would make every dA zero and the check of A vacuous
            if (p.name.endsWith("lora_b")) for (int i = 0; i < p.w.length; i++) p.w[i] = (float) rnd.nextGaussian() * 0.3f;
        model.attach(lora);
        model.zeroGradients();
        lora.zeroGradients();
        DpoLoss.of(model, batch, BETA, true);
        for (Param p : lora.params)
            GradientCheck.check("dpo." + p.name, p.w, scaled(p.g), () -> SCALE * DpoLoss.of(model, batch, BETA, false).loss(), 12, 2e-3f,
                    2e-2);
        for (int l = 0; l < SHAPE.layers(); l++)
            for (Lora.Projection p : Lora.Projection.values())
                assertNull(model.weight(l, p).g, "frozen " + model.weight(l, p).name + " got a gradient");
    }

    @Test void klIsZeroAgainstItselfAndTheSumOverTheVocabularyAgainstAnother() {
        Llama reference = new Llama(SHAPE, 3), policy = new Llama(SHAPE, 3);
        TestWeights.randomize(reference, 11);
        TestWeights.randomize(policy, 12);
        List<PreferenceData.Pair> pairs = pairs();
        PaddedBatch batch = PaddedBatch.of(DpoLoss.answers(pairs));
        int vocab = SHAPE.vocab(), n = batch.sequences();
        float[][] refDist = new float[n][];
        for (int s = 0; s < n; s++) refDist[s] = new float[batch.counted(s) * vocab];
        AnswerScores.of(reference.forward(batch.tokens(), n, batch.length()), batch, vocab, new double[n], refDist, null, null);
        List<DpoLoss.Scored> scored = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++)
            scored.add(new DpoLoss.Scored(pairs.get(i), new DpoLoss.Reference(0, refDist[2 * i]), new DpoLoss.Reference(0, refDist[2 * i + 1])));
        assertEquals(0, DpoLoss.of(reference, scored, BETA, false).kl(), 1e-6, "the reference against itself");
        // KL(p‖q) summed over the answer tokens, p and q from each model's own logits, in plain loops
        float[] q = reference.forward(batch.tokens(), n, batch.length()).clone(), p = policy.forward(batch.tokens(), n, batch.length());
        double sum = 0;
        int tokens = 0;
        for (int row = 0; row < n * batch.length(); row++) {
            if (batch.targets()[row] == CrossEntropy.IGNORED) continue;
            double zp = 0, zq = 0;
            for (int v = 0; v < vocab; v++) { zp += Math.exp(p[row * vocab + v]); zq += Math.exp(q[row * vocab + v]); }
            for (int v = 0; v < vocab; v++) {
                double lp = p[row * vocab + v] - Math.log(zp), lq = q[row * vocab + v] - Math.log(zq);
                sum += Math.exp(lp) * (lp - lq);
            }
            tokens++;
        }
        DpoLoss.Stats stats = DpoLoss.of(policy, scored, BETA, false);
        assertEquals(tokens, stats.klTokens());
        assertTrue(sum / tokens > 0.1, "the two models differ: " + sum / tokens);
        assertEquals(sum / tokens, stats.kl(), 1e-4);
    }

    private static float[] scaled(float[] g) {
        float[] a = g.clone();
        for (int i = 0; i < a.length; i++) a[i] *= SCALE; // so the gradients are O(1) and the relative tolerance is not vacuous
        return a;
    }
}
