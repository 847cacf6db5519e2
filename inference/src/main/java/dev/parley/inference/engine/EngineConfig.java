package dev.parley.inference.engine;

import dev.parley.inference.model.MatmulMode;

/**
 * @param maxRunning   sequences generating at once (each holds a KV cache)
 * @param maxWaiting   accepted requests waiting to start; beyond it submit throws EngineOverloadedException
 * @param prefillChunk prompt tokens one sequence may run per step, so a long prompt never stalls the others
 */
public record EngineConfig(int maxRunning, int maxWaiting, int prefillChunk, MatmulMode mode) {
    public EngineConfig {
        if (maxRunning < 1 || maxWaiting < 0 || prefillChunk < 1) throw new IllegalArgumentException("invalid engine config");
    }

    public static EngineConfig defaults() {
        return new EngineConfig(8, 64, 64, MatmulMode.GGML);
    }
}
