package dev.parley.inference.kv;

/**
 * What the paged cache needs to know of a model: how many layers it stores and how wide one position's key (and
 * value) row is. A record of its own so that {@code kv} does not depend on {@code model}, which depends on it.
 *
 * @param layers transformer blocks, each with its own keys and values
 * @param kvDim  floats in one position's key row (kv heads times head size); the value row has the same width
 */
public record KvShape(int layers, int kvDim) {
    public KvShape {
        if (layers < 1 || kvDim < 1) throw new IllegalArgumentException("layers " + layers + ", kvDim " + kvDim);
    }
}
