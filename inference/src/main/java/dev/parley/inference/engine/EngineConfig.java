package dev.parley.inference.engine;

import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.model.MatmulMode;

/**
 * @param maxRunning     sequences generating at once (decoded together in one batch per step)
 * @param maxWaiting     accepted requests waiting to start; beyond it submit throws EngineOverloadedException
 * @param prefillChunk   prompt tokens one sequence may run per step, so a long prompt never stalls the others
 * @param mode           how matmuls treat activations
 * @param maxStepTokens  rows of one batched step: one per decoding sequence plus prefill chunks, up to this budget
 * @param kvBudgetBytes  off-heap memory of the paged KV cache (capped at what maxRunning full contexts need)
 * @param kvBlockSize    positions per KV block: the unit of allocation, sharing and prefix reuse
 * @param kvFormat       KV element type; F32 is exact, F16 halves the memory
 */
public record EngineConfig(int maxRunning, int maxWaiting, int prefillChunk, MatmulMode mode, int maxStepTokens,
                           long kvBudgetBytes, int kvBlockSize, KvFormat kvFormat) {
    public static final int DEFAULT_STEP_TOKENS = 512;
    public static final long DEFAULT_KV_BUDGET = 512L << 20;
    public static final int DEFAULT_BLOCK_SIZE = 16;

    public EngineConfig {
        if (maxRunning < 1 || maxWaiting < 0 || prefillChunk < 1 || mode == null || maxStepTokens < 1 || kvBudgetBytes < 1
                || kvBlockSize < 1 || kvFormat == null) throw new IllegalArgumentException("invalid engine config");
    }

    /** The KV cache and step budget at their defaults. */
    public EngineConfig(int maxRunning, int maxWaiting, int prefillChunk, MatmulMode mode) {
        this(maxRunning, maxWaiting, prefillChunk, mode, Math.max(DEFAULT_STEP_TOKENS, maxRunning + prefillChunk),
                DEFAULT_KV_BUDGET, DEFAULT_BLOCK_SIZE, KvFormat.F32);
    }

    public static EngineConfig defaults() {
        return new EngineConfig(8, 64, 64, MatmulMode.GGML);
    }

    public EngineConfig withKvCache(long budgetBytes, int blockSize, KvFormat format) {
        return new EngineConfig(maxRunning, maxWaiting, prefillChunk, mode, maxStepTokens, budgetBytes, blockSize, format);
    }

    public EngineConfig withMaxStepTokens(int tokens) {
        return new EngineConfig(maxRunning, maxWaiting, prefillChunk, mode, tokens, kvBudgetBytes, kvBlockSize, kvFormat);
    }
}
