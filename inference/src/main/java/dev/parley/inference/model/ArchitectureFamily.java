package dev.parley.inference.model;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What distinguishes a model family from Llama, as a row of options rather than a copy of the forward pass.
 * Everything detectable from the tensors themselves (Q/K/V biases, Q/K norms, post-norms, fused QKV and gate/up,
 * tied output) is detected from the file instead of listed here.
 *
 * @param scaleEmbeddings     multiply token embeddings by sqrt(dim) (Gemma)
 * @param slidingWindowPeriod layers alternate local (sliding-window) and global attention: in every run of this many
 *                            layers all but the last are local; 0 = every layer is global
 */
public record ArchitectureFamily(String name, RopeStyle ropeStyle, Activation activation, boolean scaleEmbeddings,
                                 int slidingWindowPeriod) {
    private static final Map<String, ArchitectureFamily> KNOWN = Map.of(
            "llama", new ArchitectureFamily("llama", RopeStyle.NORM, Activation.SILU, false, 0),
            "mistral", new ArchitectureFamily("mistral", RopeStyle.NORM, Activation.SILU, false, 0),
            "qwen2", new ArchitectureFamily("qwen2", RopeStyle.NEOX, Activation.SILU, false, 0),
            "qwen3", new ArchitectureFamily("qwen3", RopeStyle.NEOX, Activation.SILU, false, 0),
            "phi3", new ArchitectureFamily("phi3", RopeStyle.NEOX, Activation.SILU, false, 0),
            // Gemma 2: even layers local, odd layers global
            "gemma2", new ArchitectureFamily("gemma2", RopeStyle.NEOX, Activation.GELU_TANH, true, 2),
            // Gemma 3: five local layers, then one global
            "gemma3", new ArchitectureFamily("gemma3", RopeStyle.NEOX, Activation.GELU_TANH, true, 6));

    /** The family, or null when the architecture is not supported. */
    public static ArchitectureFamily byName(String arch) {
        return KNOWN.get(arch);
    }

    public static Set<String> supported() {
        return new TreeSet<>(KNOWN.keySet());
    }

    /** Whether layer {@code l} attends through a sliding window (when the model has one). */
    public boolean isLocalLayer(int l) {
        return slidingWindowPeriod > 0 && l % slidingWindowPeriod < slidingWindowPeriod - 1;
    }
}
