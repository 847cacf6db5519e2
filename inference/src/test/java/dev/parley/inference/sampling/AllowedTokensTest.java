package dev.parley.inference.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Sampler#keepOnlyAllowed}: a banned token is never drawn, whatever the sampling settings. */
class AllowedTokensTest {
    @Test
    void bannedTokensAreNeverSampledUnderAnySettings() {
        int vocab = 200;
        Random random = new Random(9);
        long[] allowed = new long[(vocab + 63) / 64];
        for (int id : new int[] {3, 64, 65, 130, 199}) allowed[id >>> 6] |= 1L << id;
        SamplingParams[] settings = {
            SamplingParams.greedy(),
            SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0).seed(1).build(),
            SamplingParams.builder().temperature(1.5f).topK(40).topP(0.9f).minP(0.05f).seed(2).build(),
            SamplingParams.builder().temperature(0.7f).repetitionPenalty(1.3f).frequencyPenalty(0.5f).presencePenalty(0.5f)
                    .logitBias(Map.of(7, 100f, 64, 2f)).seed(3).build(),
        };
        for (SamplingParams params : settings) {
            Sampler sampler = new Sampler(params, vocab);
            for (int draw = 0; draw < 300; draw++) {
                float[] logits = new float[vocab];
                for (int i = 0; i < vocab; i++) logits[i] = (float) random.nextGaussian() * 3;
                logits[7] = 50; // the favourite, banned (and biased further up by one setting)
                Sampler.keepOnlyAllowed(logits, allowed);
                int token = sampler.sample(logits);
                assertTrue((allowed[token >>> 6] >>> token & 1) != 0, "sampled banned token " + token + " with " + params);
                sampler.accept(token);
            }
        }
    }

    @Test
    void allowedLogitsAreUntouchedAndShortMasksAreRefused() {
        float[] logits = {1, 2, 3};
        Sampler.keepOnlyAllowed(logits, new long[] {0b101});
        assertEquals(1, logits[0]);
        assertEquals(Float.NEGATIVE_INFINITY, logits[1]);
        assertEquals(3, logits[2]);
        assertThrows(IllegalArgumentException.class, () -> Sampler.keepOnlyAllowed(new float[65], new long[1]));
    }
}
