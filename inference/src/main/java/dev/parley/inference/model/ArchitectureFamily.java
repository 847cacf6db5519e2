package dev.parley.inference.model;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What distinguishes a model family from Llama, as a row of options rather than a copy of the forward pass.
 * Everything detectable from the tensors themselves (Q/K/V biases, Q/K norms, fused QKV and gate/up, tied output)
 * is detected from the file instead of listed here.
 */
public record ArchitectureFamily(String name, RopeStyle ropeStyle) {
    private static final Map<String, ArchitectureFamily> KNOWN = Map.of(
            "llama", new ArchitectureFamily("llama", RopeStyle.NORM),
            "mistral", new ArchitectureFamily("mistral", RopeStyle.NORM),
            "qwen2", new ArchitectureFamily("qwen2", RopeStyle.NEOX),
            "qwen3", new ArchitectureFamily("qwen3", RopeStyle.NEOX),
            "phi3", new ArchitectureFamily("phi3", RopeStyle.NEOX));

    /** The family, or null when the architecture is not supported. */
    public static ArchitectureFamily byName(String arch) {
        return KNOWN.get(arch);
    }

    public static Set<String> supported() {
        return new TreeSet<>(KNOWN.keySet());
    }
}
