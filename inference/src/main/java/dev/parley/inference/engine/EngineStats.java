package dev.parley.inference.engine;

/**
 * Counters since the engine started.
 *
 * @param steps             batched forward passes run
 * @param computedTokens    rows computed (prompt tokens, recomputation after preemption, decode tokens)
 * @param prefixHitTokens   prompt tokens not computed because their KV blocks were reused from the prefix cache
 * @param preemptions       times a sequence lost its cache to make room and was queued for recomputation
 * @param freeBlocks        KV blocks allocatable now (includes cached blocks nobody references)
 * @param totalBlocks       KV blocks in the arena
 */
public record EngineStats(long steps, long computedTokens, long prefixHitTokens, long preemptions, int freeBlocks,
                          int totalBlocks) {}
