package dev.parley.inference.sampling;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Picks the next token of one sequence from the model's logits, in the order of llama.cpp's default sampler chain:
 * logit bias, then repetition/frequency/presence penalties, then top-k, top-p, min-p, temperature and a draw from
 * the remaining distribution. With {@code temperature <= 0} it is greedy: the argmax after bias and penalties, ties
 * going to the lowest id (as llama.cpp's greedy sampler scans ids in order).
 *
 * <p>The sampler owns its random generator, so a given seed, settings, accepted history and logits always produce
 * the same tokens. It owns the penalty history too: feed it every prompt token and every generated token through
 * {@link #accept}; {@link #sample} does not record its own choice. Work buffers are allocated on the first
 * {@link #sample} and reused afterwards. Not thread-safe: one sampler per sequence.
 */
public final class Sampler {
    /** Without top-k, top-p first sorts only this many candidates and widens the search only if their mass is short. */
    private static final int FIRST_TOP_P_BATCH = 256;

    private final SamplingParams params;
    private final int vocabSize;
    private final long seed;
    private final SplittableRandom random;
    private final int[] biasIds;
    private final float[] biasValues;
    private final PenaltyHistory penalties; // null when every penalty is off

    // Work buffers, sized to the vocabulary on the first sampled (non-greedy) step.
    private int[] pool;
    private int[] candidates;
    private double[] weights;

    private TokenLogprobs lastLogprobs;

    public Sampler(SamplingParams params, int vocabSize) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be > 0 (got " + vocabSize + ")");
        this.params = params;
        this.vocabSize = vocabSize;
        this.seed = params.seed() == SamplingParams.RANDOM_SEED ? ThreadLocalRandom.current().nextLong() : params.seed();
        this.random = new SplittableRandom(seed);

        biasIds = new int[params.logitBias().size()];
        biasValues = new float[biasIds.length];
        int i = 0;
        for (Map.Entry<Integer, Float> e : params.logitBias().entrySet()) {
            if (e.getKey() >= vocabSize) {
                throw new IllegalArgumentException("logit_bias token " + e.getKey()
                        + " is outside the vocabulary (size " + vocabSize + ")");
            }
            biasIds[i] = e.getKey();
            biasValues[i] = e.getValue();
            i++;
        }

        boolean penalize = params.penaltyLastN() != 0 && (params.repetitionPenalty() != 1.0f
                || params.frequencyPenalty() != 0.0f || params.presencePenalty() != 0.0f);
        penalties = penalize ? new PenaltyHistory(vocabSize, params.penaltyLastN()) : null;
    }

    public SamplingParams params() {
        return params;
    }

    /** The seed in use: the requested one, or the one drawn when the request asked for {@code RANDOM_SEED}. */
    public long seed() {
        return seed;
    }

    /** Records a prompt or generated token for the penalties. */
    public void accept(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary (size " + vocabSize + ")");
        }
        if (penalties != null) penalties.add(token);
    }

    /**
     * Chooses the next token. Modifies {@code logits} in place: on return it holds the logits after logit bias and
     * penalties (what logprobs are computed from); truncation and temperature work on private buffers and leave it
     * alone. NaN logits are treated like {@code -Infinity}.
     *
     * @throws IllegalStateException when every token has been banned (all logits {@code -Infinity})
     */
    public int sample(float[] logits) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("expected " + vocabSize + " logits, got " + logits.length);
        }
        for (int i = 0; i < biasIds.length; i++) logits[biasIds[i]] += biasValues[i];
        if (penalties != null) {
            penalties.apply(logits, params.repetitionPenalty(), params.frequencyPenalty(), params.presencePenalty());
        }

        float max = Float.NEGATIVE_INFINITY;
        int finiteCount = 0;
        for (float logit : logits) {
            if (logit > Float.NEGATIVE_INFINITY) {
                finiteCount++;
                if (logit > max) max = logit;
            }
        }
        if (finiteCount == 0) throw new IllegalStateException("no token can be sampled: every logit is -Infinity");

        int token = params.isGreedy() ? argmax(logits) : sampleTruncated(logits, max, finiteCount);
        lastLogprobs = params.logprobs() > 0 ? logprobs(logits, token, max, finiteCount) : null;
        return token;
    }

    /**
     * Bans every token outside {@code allowed} (bit {@code id % 64} of word {@code id / 64}, as a constrained-decoding
     * matcher writes it) by setting its logit to {@code -Infinity}, before {@link #sample}: bias and penalties keep
     * it there, so no setting can pick it. Logprobs are then those of the constrained distribution.
     */
    public static void keepOnlyAllowed(float[] logits, long[] allowed) {
        if (allowed.length * 64L < logits.length) {
            throw new IllegalArgumentException("mask of " + allowed.length + " words is too short for " + logits.length + " logits");
        }
        for (int word = 0; word * 64 < logits.length; word++) {
            long bits = allowed[word];
            if (bits == -1L) continue;
            int end = Math.min(logits.length, word * 64 + 64);
            for (int id = word * 64; id < end; id++) {
                if ((bits >>> (id & 63) & 1L) == 0) logits[id] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Log-probabilities of the last {@link #sample}, or null when {@code logprobs} is 0 or nothing was sampled yet.
     * They are the log-softmax of the logits after logit bias and penalties, but before top-k/top-p/min-p and
     * temperature, like OpenAI's: they describe what the model (as steered by the request) thinks of each token,
     * not the truncated distribution the token was drawn from, so a chosen token always has a finite logprob and
     * the values do not depend on the sampling temperature.
     */
    public TokenLogprobs lastLogprobs() {
        return lastLogprobs;
    }

    private static int argmax(float[] logits) {
        int best = -1;
        float bestLogit = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > bestLogit) { // strict: the lowest id wins a tie
                bestLogit = logits[i];
                best = i;
            }
        }
        return best;
    }

    private int sampleTruncated(float[] logits, float max, int finiteCount) {
        if (pool == null) {
            pool = new int[vocabSize];
            candidates = new int[vocabSize];
            weights = new double[vocabSize];
        }
        int topK = params.topK();
        float topP = params.topP();
        float minP = params.minP();
        int[] kept;
        int keptCount;

        if (topK > 0 && topK < finiteCount) {
            // Top-k by partial selection; then top-p and min-p cut this short list, already sorted best first.
            int size = 0;
            for (int id = 0; id < logits.length; id++) {
                if (logits[id] > Float.NEGATIVE_INFINITY) size = TopHeap.offer(candidates, size, topK, id, logits);
            }
            TopHeap.sortBestFirst(candidates, size, logits);
            kept = candidates;
            keptCount = size;
            if (topP < 1.0f) {
                double total = 0;
                for (int i = 0; i < keptCount; i++) total += Math.exp(logits[kept[i]] - max);
                int count = topPCount(kept, keptCount, logits, max, total, topP);
                if (count > 0) keptCount = count;
            }
            if (minP > 0.0f) keptCount = minPCount(kept, keptCount, logits, max, minP);
        } else {
            // No top-k cut. Top-p and min-p each keep a best-first prefix and min-p runs last, so the result is
            // the shorter prefix: filtering by the min-p threshold first is exact and shrinks what top-p must sort.
            // Top-p still normalizes over every token, as it would without the prefilter.
            float minLogit = minP > 0.0f ? max + (float) Math.log(minP) : Float.NEGATIVE_INFINITY;
            int poolSize = 0;
            double total = 0;
            for (int id = 0; id < logits.length; id++) {
                float logit = logits[id];
                if (!(logit > Float.NEGATIVE_INFINITY)) continue;
                if (topP < 1.0f) total += Math.exp(logit - max);
                if (logit >= minLogit) pool[poolSize++] = id;
            }
            if (topP < 1.0f) {
                kept = candidates;
                keptCount = topPOverPool(poolSize, logits, max, total, topP);
            } else {
                kept = pool; // nothing left to cut, so no need to sort
                keptCount = poolSize;
            }
        }
        return draw(kept, keptCount, logits, max);
    }

    /**
     * Top-p over the unsorted pool: sorts only the best {@link #FIRST_TOP_P_BATCH} candidates and checks whether
     * they reach {@code topP}; if not, sorts a wider prefix. Typical distributions finish in the first batch.
     */
    private int topPOverPool(int poolSize, float[] logits, float max, double total, float topP) {
        int sorted = Math.min(poolSize, FIRST_TOP_P_BATCH);
        while (true) {
            TopHeap.selectBest(pool, poolSize, sorted, logits, candidates);
            int count = topPCount(candidates, sorted, logits, max, total, topP);
            if (count > 0) return count;
            if (sorted == poolSize) return poolSize; // min-p already removed the rest of the mass
            sorted = (int) Math.min(poolSize, sorted * 8L);
        }
    }

    /**
     * The smallest best-first prefix whose probability reaches {@code topP} (at least one token), or 0 when the
     * first {@code count} tokens do not reach it. Probabilities are {@code exp(logit - max) / total}.
     */
    private static int topPCount(int[] best, int count, float[] logits, float max, double total, float topP) {
        double cumulative = 0;
        for (int i = 0; i < count; i++) {
            cumulative += Math.exp(logits[best[i]] - max) / total;
            if (cumulative >= topP) return i + 1;
        }
        return 0;
    }

    /** Keeps the best-first prefix with {@code p >= minP * pMax}, i.e. {@code logit >= max + ln(minP)}; at least one. */
    private static int minPCount(int[] best, int count, float[] logits, float max, float minP) {
        float minLogit = max + (float) Math.log(minP);
        int kept = 1;
        while (kept < count && logits[best[kept]] >= minLogit) kept++;
        return kept;
    }

    /** Draws one of {@code ids[0..count)} with probability proportional to {@code exp((logit - max) / temperature)}. */
    private int draw(int[] ids, int count, float[] logits, float max) {
        if (count == 1) return ids[0];
        double inverseTemperature = 1.0 / params.temperature();
        double total = 0;
        for (int i = 0; i < count; i++) {
            double weight = Math.exp((logits[ids[i]] - max) * inverseTemperature);
            weights[i] = weight;
            total += weight;
        }
        double target = random.nextDouble() * total;
        double cumulative = 0;
        int lastWeighted = ids[0];
        for (int i = 0; i < count; i++) {
            if (weights[i] == 0) continue;
            cumulative += weights[i];
            lastWeighted = ids[i];
            if (target < cumulative) return ids[i];
        }
        return lastWeighted; // only reached through rounding in the running sum
    }

    private TokenLogprobs logprobs(float[] logits, int token, float max, int finiteCount) {
        double total = 0;
        for (float logit : logits) {
            if (logit > Float.NEGATIVE_INFINITY) total += Math.exp(logit - max);
        }
        double logNormalizer = max + Math.log(total);

        int alternatives = Math.min(params.logprobs(), finiteCount);
        int[] topIds = new int[alternatives];
        int size = 0;
        for (int id = 0; id < logits.length; id++) {
            if (logits[id] > Float.NEGATIVE_INFINITY) size = TopHeap.offer(topIds, size, alternatives, id, logits);
        }
        TopHeap.sortBestFirst(topIds, size, logits);
        float[] topLogprobs = new float[alternatives];
        for (int i = 0; i < alternatives; i++) topLogprobs[i] = (float) (logits[topIds[i]] - logNormalizer);
        return new TokenLogprobs(token, (float) (logits[token] - logNormalizer), topIds, topLogprobs);
    }
}
