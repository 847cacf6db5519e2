package dev.parley.inference.sampling;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** Plain sampling: temperature 1 and every truncation off, so only what a test turns on matters. */
    private static SamplingParams.Builder plain() {
        return SamplingParams.builder().temperature(1).topK(0).topP(1).minP(0).seed(1234);
    }

    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.log(probabilities[i]);
        return logits;
    }

    private static int[] counts(SamplingParams params, float[] logits, int draws) {
        Sampler sampler = new Sampler(params, logits.length);
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) counts[sampler.sample(logits.clone())]++;
        return counts;
    }

    private static Set<Integer> support(SamplingParams params, float[] logits, int draws) {
        int[] counts = counts(params, logits, draws);
        return IntStream.range(0, counts.length).filter(i -> counts[i] > 0).boxed().collect(Collectors.toSet());
    }

    /** Pearson's chi-square of observed counts against expected probabilities. */
    private static double chiSquare(int[] observed, double[] expected) {
        int n = Arrays.stream(observed).sum();
        double chi = 0;
        for (int i = 0; i < observed.length; i++) {
            double e = n * expected[i];
            chi += (observed[i] - e) * (observed[i] - e) / e;
        }
        return chi;
    }

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnTies() {
        Sampler greedy = new Sampler(SamplingParams.greedy(), 5);
        assertEquals(2, greedy.sample(new float[] {1, 0, 5, -3, 4}));
        assertEquals(1, greedy.sample(new float[] {1, 3, 2, 3, 3}));
        assertEquals(3, greedy.sample(new float[] {NEG_INF, Float.NaN, -7, -2, -2.5f}));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        float[] flat = new float[100];
        for (int i = 0; i < flat.length; i++) flat[i] = (i % 7) * 0.05f;
        int[] first = draw(plain().seed(42).build(), flat, 200);
        int[] again = draw(plain().seed(42).build(), flat, 200);
        int[] other = draw(plain().seed(43).build(), flat, 200);
        assertArrayEquals(first, again);
        assertFalse(Arrays.equals(first, other));
        assertTrue(Arrays.stream(first).distinct().count() > 50, "a flat distribution should spread the draws");
    }

    private static int[] draw(SamplingParams params, float[] logits, int steps) {
        Sampler sampler = new Sampler(params, logits.length);
        int[] tokens = new int[steps];
        for (int i = 0; i < steps; i++) tokens[i] = sampler.sample(logits.clone());
        return tokens;
    }

    @Test
    void randomSeedIsDrawnAndReported() {
        Sampler a = new Sampler(SamplingParams.defaults(), 10);
        Sampler b = new Sampler(SamplingParams.defaults(), 10);
        assertNotEquals(a.seed(), b.seed());
        assertEquals(7, new Sampler(plain().seed(7).build(), 10).seed());
    }

    @Test
    void topKOneIsGreedy() {
        Random random = new Random(5);
        Sampler topOne = new Sampler(plain().topK(1).temperature(1.5f).build(), 1000);
        Sampler greedy = new Sampler(SamplingParams.greedy(), 1000);
        for (int step = 0; step < 50; step++) {
            float[] logits = new float[1000];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
            assertEquals(greedy.sample(logits.clone()), topOne.sample(logits.clone()));
        }
        assertEquals(0, topOne.sample(new float[1000]), "all equal: the lowest id wins");
    }

    @Test
    void topKKeepsTheKMostLikely() {
        float[] logits = logitsOf(0.1, 0.3, 0.05, 0.25, 0.2, 0.1);
        assertEquals(Set.of(1, 3, 4), support(plain().topK(3).build(), logits, 5000));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] logits = logitsOf(0.05, 0.5, 0.1, 0.2, 0.15);
        // Sorted: 0.5, 0.2, 0.15 -> cumulative 0.85 >= 0.8.
        assertEquals(Set.of(1, 3, 4), support(plain().topP(0.8f).build(), logits, 5000));
        // The first token alone reaches a small p, and at least one token is always kept.
        assertEquals(Set.of(1), support(plain().topP(0.01f).build(), logits, 1000));
    }

    @Test
    void topPRenormalizesOverTheTopKSurvivorsLikeLlamaCpp() {
        float[] logits = logitsOf(0.5, 0.2, 0.15, 0.1, 0.05);
        // Over all tokens 0.5 + 0.2 = 0.7 < 0.75 would keep three; over the top 3 (mass 0.85) it is 0.82 >= 0.75.
        assertEquals(Set.of(0, 1, 2), support(plain().topP(0.75f).build(), logits, 5000));
        assertEquals(Set.of(0, 1), support(plain().topK(3).topP(0.75f).build(), logits, 5000));
    }

    @Test
    void topPWidensPastTheFirstBatchOnALargeVocabulary() {
        // 400 equally likely tokens at even ids, the rest negligible; the nucleus needs 396 of them (ties keep lower
        // ids), more than the first sorted batch.
        float[] logits = new float[1000];
        Arrays.fill(logits, -30);
        for (int i = 0; i < 400; i++) logits[2 * i] = 0;
        Set<Integer> expected = IntStream.range(0, 396).map(i -> 2 * i).boxed().collect(Collectors.toSet());
        assertEquals(expected, support(plain().topP(0.9876f).build(), logits, 10_000));
        assertEquals(expected, support(plain().topP(0.9876f).minP(0.5f).build(), logits, 10_000));
    }

    @Test
    void minPKeepsTokensWithinAFractionOfTheBest() {
        float[] logits = logitsOf(0.1, 0.05, 0.4, 0.15, 0.3);
        // Threshold 0.3 * 0.4 = 0.12.
        assertEquals(Set.of(2, 3, 4), support(plain().minP(0.3f).build(), logits, 5000));
        assertEquals(Set.of(2, 3, 4), support(plain().topK(4).minP(0.3f).build(), logits, 5000));
        assertEquals(Set.of(2, 4), support(plain().topP(0.6f).minP(0.3f).build(), logits, 5000));
        assertEquals(Set.of(2), support(plain().minP(1).build(), logits, 1000));
    }

    @Test
    void temperatureOneFollowsTheSoftmax() {
        double[] p = {0.5, 0.3, 0.2};
        int[] observed = counts(plain().build(), logitsOf(p), 20_000);
        assertTrue(chiSquare(observed, p) < 13.8, "chi-square at 2 dof, p = 0.001: " + Arrays.toString(observed));
    }

    @Test
    void lowTemperatureSharpensAndHighTemperatureFlattens() {
        double[] p = {0.5, 0.3, 0.2};
        float[] logits = logitsOf(p);
        // Temperature T turns p_i into p_i^(1/T), renormalized.
        double[] sharp = powNormalized(p, 2);
        double[] flat = powNormalized(p, 0.5);

        int[] cold = counts(plain().temperature(0.5f).build(), logits, 20_000);
        int[] hot = counts(plain().temperature(2f).build(), logits, 20_000);
        assertTrue(chiSquare(cold, sharp) < 13.8, Arrays.toString(cold));
        assertTrue(chiSquare(hot, flat) < 13.8, Arrays.toString(hot));
        // ...and both are clearly not the untempered distribution.
        assertTrue(chiSquare(cold, p) > 100, Arrays.toString(cold));
        assertTrue(chiSquare(hot, p) > 100, Arrays.toString(hot));
        assertTrue(cold[0] > 12_000 && hot[0] < 9_000);
    }

    private static double[] powNormalized(double[] p, double exponent) {
        double[] q = Arrays.stream(p).map(x -> Math.pow(x, exponent)).toArray();
        double sum = Arrays.stream(q).sum();
        return Arrays.stream(q).map(x -> x / sum).toArray();
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        float[] logits = processed(SamplingParams.greedy().toBuilder().repetitionPenalty(2f).build(),
                new float[] {3, -1, 0, 5}, 0, 0, 1, 2);
        assertArrayEquals(new float[] {1.5f, -2, 0, 5}, logits);
    }

    @Test
    void frequencyPenaltyScalesWithTheCount() {
        float[] logits = processed(SamplingParams.greedy().toBuilder().frequencyPenalty(0.25f).build(),
                new float[] {3, -1, 0, 5}, 0, 0, 0, 1);
        assertArrayEquals(new float[] {3 - 0.75f, -1.25f, 0, 5}, logits);
    }

    @Test
    void presencePenaltyIsFlat() {
        float[] logits = processed(SamplingParams.greedy().toBuilder().presencePenalty(0.5f).build(),
                new float[] {3, -1, 0, 5}, 0, 0, 0, 1);
        assertArrayEquals(new float[] {2.5f, -1.5f, 0, 5}, logits);
    }

    @Test
    void penaltiesCombineInLlamaCppOrder() {
        SamplingParams params = SamplingParams.greedy().toBuilder()
                .repetitionPenalty(1.5f).frequencyPenalty(0.25f).presencePenalty(0.5f).build();
        float[] logits = processed(params, new float[] {2, -1, 0.5f, 3, 0}, 0, 0, 1, 2);
        float[] expected = {
            2 / 1.5f - (2 * 0.25f + 0.5f), // seen twice
            -1 * 1.5f - (0.25f + 0.5f),
            0.5f / 1.5f - (0.25f + 0.5f),
            3, // never seen
            0,
        };
        assertArrayEquals(expected, logits, 1e-6f);
    }

    @Test
    void penaltiesOnlyCountTheLastNTokens() {
        SamplingParams.Builder b = SamplingParams.greedy().toBuilder().presencePenalty(1);
        float[] start = {3, 3, 3, 3};
        assertArrayEquals(new float[] {3, 3, 2, 2}, processed(b.penaltyLastN(2).build(), start, 0, 1, 2, 3));
        assertArrayEquals(new float[] {2, 2, 2, 2}, processed(b.penaltyLastN(-1).build(), start, 0, 1, 2, 3));
        assertArrayEquals(start, processed(b.penaltyLastN(0).build(), start, 0, 1, 2, 3));
        // Window of 3 over 1, 0, 2, 0, 0: token 1 slid out, token 0 counts twice (not three times).
        assertArrayEquals(new float[] {3 - 2, 3, 3 - 1, 3},
                processed(b.presencePenalty(0).frequencyPenalty(1).penaltyLastN(3).build(), start, 1, 0, 2, 0, 0));
    }

    /** The logits after one {@code sample} with the given history: bias and penalties are applied in place. */
    private static float[] processed(SamplingParams params, float[] logits, int... history) {
        Sampler sampler = new Sampler(params, logits.length);
        for (int token : history) sampler.accept(token);
        float[] copy = logits.clone();
        sampler.sample(copy);
        return copy;
    }

    @Test
    void penaltiesSteerTheChoice() {
        Sampler sampler = new Sampler(SamplingParams.greedy().toBuilder().repetitionPenalty(2).build(), 3);
        assertEquals(0, sampler.sample(new float[] {4, 3, 1}));
        sampler.accept(0);
        assertEquals(1, sampler.sample(new float[] {4, 3, 1}));
    }

    @Test
    void logitBiasIsAddedAndMinusInfinityBans() {
        float[] logits = {1, 2, 3};
        assertArrayEquals(new float[] {6, 2, 3},
                processed(SamplingParams.greedy().toBuilder().logitBias(Map.of(0, 5f)).build(), logits));
        assertEquals(0, new Sampler(SamplingParams.greedy().toBuilder().logitBias(Map.of(0, 5f)).build(), 3)
                .sample(logits.clone()));

        SamplingParams ban = plain().logitBias(Map.of(2, NEG_INF)).build();
        assertEquals(Set.of(0, 1), support(ban, logits, 2000));
        assertEquals(1, new Sampler(ban.toBuilder().temperature(0).build(), 3).sample(logits.clone()));
    }

    @Test
    void logitBiasAppliesBeforePenalties() {
        // (1 + 1) / 2 = 1, whereas penalizing first would give 1 / 2 + 1 = 1.5.
        SamplingParams params = SamplingParams.greedy().toBuilder()
                .logitBias(Map.of(0, 1f)).repetitionPenalty(2).build();
        assertEquals(1f, processed(params, new float[] {1, 0}, 0)[0]);
    }

    @Test
    void rejectsOutOfRangeInputs() {
        assertThrows(IllegalArgumentException.class,
                () -> new Sampler(plain().logitBias(Map.of(3, 1f)).build(), 3));
        Sampler sampler = new Sampler(plain().build(), 3);
        assertThrows(IllegalArgumentException.class, () -> sampler.accept(3));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(new float[4]));
        assertThrows(IllegalStateException.class, () -> sampler.sample(new float[] {NEG_INF, NEG_INF, NEG_INF}));
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheProcessedLogits() {
        float[] logits = {1, 2, 3, 0.5f};
        double logZ = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(0.5));

        Sampler greedy = new Sampler(SamplingParams.greedy().toBuilder().logprobs(2).build(), 4);
        assertNull(greedy.lastLogprobs());
        assertEquals(2, greedy.sample(logits.clone()));
        TokenLogprobs lp = greedy.lastLogprobs();
        assertEquals(2, lp.token());
        assertEquals(3 - logZ, lp.logprob(), 1e-6);
        assertArrayEquals(new int[] {2, 1}, lp.topIds());
        assertArrayEquals(new float[] {(float) (3 - logZ), (float) (2 - logZ)}, lp.topLogprobs(), 1e-6f);

        // Truncation and temperature do not change them; a bias does (it is part of the processed logits).
        Sampler truncated = new Sampler(plain().temperature(0.3f).topK(1).logprobs(4).build(), 4);
        truncated.sample(logits.clone());
        assertEquals(3 - logZ, truncated.lastLogprobs().logprob(), 1e-6);
        assertArrayEquals(new int[] {2, 1, 0, 3}, truncated.lastLogprobs().topIds());
        assertEquals(0.5 - logZ, truncated.lastLogprobs().topLogprobs()[3], 1e-6);

        Sampler biased = new Sampler(SamplingParams.greedy().toBuilder()
                .logitBias(Map.of(2, NEG_INF)).logprobs(5).build(), 4);
        assertEquals(1, biased.sample(logits.clone()));
        double biasedLogZ = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0.5));
        assertEquals(2 - biasedLogZ, biased.lastLogprobs().logprob(), 1e-6);
        assertArrayEquals(new int[] {1, 0, 3}, biased.lastLogprobs().topIds(), "banned tokens are not alternatives");

        Sampler off = new Sampler(SamplingParams.greedy(), 4);
        off.sample(logits.clone());
        assertNull(off.lastLogprobs());
    }

    @Test
    void defaultSettingsOnALargeVocabularyPickFromTheTopForty() {
        Random random = new Random(9);
        float[] logits = new float[150_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian() * 3;
        Integer[] order = IntStream.range(0, logits.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        Set<Integer> top40 = new HashSet<>(Arrays.asList(order).subList(0, 40));

        Sampler sampler = new Sampler(SamplingParams.defaults().toBuilder().seed(3).build(), logits.length);
        for (int i = 0; i < 200; i++) assertTrue(top40.contains(sampler.sample(logits.clone())));
    }
}
