package dev.parley.inference.engine;

/**
 * Counters since the engine started, and the last step's shape.
 *
 * @param steps             batched forward passes run
 * @param computedTokens    rows computed (prompt tokens, recomputation after preemption, decode tokens)
 * @param prefixHitTokens   prompt tokens not computed because their KV blocks were reused from the prefix cache
 * @param preemptions       times a sequence lost its cache to make room and was queued for recomputation
 * @param freeBlocks        KV blocks allocatable now (includes cached blocks nobody references)
 * @param totalBlocks       KV blocks in the arena
 * @param prefixQueryTokens tokens looked up in the prefix cache at admissions (readmissions after preemption
 *                          included), the denominator of the hit rate {@code prefixHitTokens / prefixQueryTokens}
 * @param lastStepSequences sequences in the most recent batched step (decoding plus prefilling)
 * @param peakUsedBlocks    the most KV blocks held by requests at any one time (a block shared by several
 *                          sequences, by prefix reuse or a fork of n answers, counts once)
 */
public record EngineStats(long steps, long computedTokens, long prefixHitTokens, long preemptions, int freeBlocks,
                          int totalBlocks, long prefixQueryTokens, int lastStepSequences, int peakUsedBlocks) {
    public EngineStats(long steps, long computedTokens, long prefixHitTokens, long preemptions, int freeBlocks, int totalBlocks) {
        this(steps, computedTokens, prefixHitTokens, preemptions, freeBlocks, totalBlocks, 0, 0, 0);
    }

    /** Share of the KV arena held by requests (0..1); blocks kept only as prefix cache count as free. */
    public double kvUsage() {
        return totalBlocks == 0 ? 0 : (double) (totalBlocks - freeBlocks) / totalBlocks;
    }
}
