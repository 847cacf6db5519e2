package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of what fine-tuning adds to the trainer: the masked loss and the LoRA adapters. */
class TuneGradientTest {
    private static final float SCALE = 100f;
    private static final LlamaConfig SHAPE = new LlamaConfig(23, 16, 2, 4, 2, 24, 8);
    private static final int B = 2, T = 6;

    /** Random tokens; every third target ignored, as the prompt's tokens are in fine-tuning. */
    private static int[][] maskedBatch(LlamaConfig c) {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] tokens = new int[B * T], targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rnd.nextInt(c.vocab());
            targets[i] = i % 3 == 0 ? CrossEntropy.IGNORED : rnd.nextInt(c.vocab());
        }
        return new int[][] {tokens, targets};
    }

    @Test void maskedLossIsTheMeanOverCountedRowsOnly() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        int[][] batch = maskedBatch(SHAPE);
        float[] logits = model.forward(batch[0], B, T).clone();
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < B * T; i++) {
            if (batch[1][i] == CrossEntropy.IGNORED) continue;
            double z = 0;
            for (int v = 0; v < SHAPE.vocab(); v++) z += Math.exp(logits[i * SHAPE.vocab() + v]);
            sum += Math.log(z) - logits[i * SHAPE.vocab() + batch[1][i]];
            counted++;
        }
        assertEquals(sum / counted, model.loss(batch[0], batch[1], B, T, false), 1e-4);
        int[] changed = batch[1].clone();
        changed[0] = CrossEntropy.IGNORED; // already ignored: any value there is as good as another
        assertEquals(model.loss(batch[0], batch[1], B, T, false), model.loss(batch[0], changed, B, T, false), 0);
    }

    @Test void maskedLossGradientOfEveryParameter() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        int[][] batch = maskedBatch(SHAPE);
        model.zeroGradients();
        model.loss(batch[0], batch[1], B, T, true);
        for (Param p : model.params) {
            float[] analytic = scaled(p.g);
            GradientCheck.check("masked." + p.name, p.w, analytic, () -> SCALE * model.loss(batch[0], batch[1], B, T, false), 12, 1e-2f,
                    2e-2);
        }
    }

    @Test void loraGradientsAndAFrozenBase() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        Lora lora = new Lora(model, 3, 6f, 9);
        // B starts at zero, which would make every dA zero and the check of A vacuous
        SplittableRandom rnd = new SplittableRandom(2);
        randomizeB(lora, rnd);
        model.attach(lora);
        int[][] batch = maskedBatch(SHAPE);
        model.zeroGradients();
        lora.zeroGradients();
        model.loss(batch[0], batch[1], B, T, true);
        for (Param p : lora.params) {
            // a smaller step than the base weights' check: the delta is a product B·A scaled by alpha/R = 2, so at 1e-2 the
            // curvature alone moves the central difference by ~2%
            float[] analytic = scaled(p.g);
            GradientCheck.check(p.name, p.w, analytic, () -> SCALE * model.loss(batch[0], batch[1], B, T, false), 12, 2e-3f, 2e-2);
        }
        for (int l = 0; l < SHAPE.layers(); l++)
            for (Lora.Projection p : Lora.Projection.values())
                assertNull(model.weight(l, p).g, "frozen " + model.weight(l, p).name + " got a gradient");
    }

    @Test void mergedWeightsComputeWhatBasePlusAdaptersCompute() {
        Llama model = new Llama(SHAPE, 3);
        TestWeights.randomize(model, 11);
        int[] tokens = maskedBatch(SHAPE)[0];
        float[] base = model.forward(tokens, B, T).clone();
        Lora lora = new Lora(model, 2, 4f, 9);
        model.attach(lora);
        assertArrayClose(base, model.forward(tokens, B, T), 0, "B = 0: the adapted model starts as the base");
        SplittableRandom rnd = new SplittableRandom(2);
        randomizeB(lora, rnd);
        float[] adapted = model.forward(tokens, B, T).clone();
        double moved = 0;
        for (int i = 0; i < base.length; i++) moved = Math.max(moved, Math.abs(adapted[i] - base[i]));
        assertTrue(moved > 0.1, "the adapters change the logits: " + moved);
        lora.merge();
        model.attach(null);
        assertArrayClose(adapted, model.forward(tokens, B, T), 1e-4, "merged");
    }

    private static void randomizeB(Lora lora, SplittableRandom rnd) {
        for (Param p : lora.params)
            if (p.name.endsWith("lora_b")) for (int i = 0; i < p.w.length; i++) p.w[i] = (float) rnd.nextGaussian() * 0.3f;
    }

    private static float[] scaled(float[] g) {
        float[] a = g.clone();
        for (int i = 0; i < a.length; i++) a[i] *= SCALE; // so the gradients are O(1) and the relative tolerance is not vacuous
        return a;
    }

    private static void assertArrayClose(float[] expected, float[] actual, double tol, String what) {
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + " at " + i);
    }
}
