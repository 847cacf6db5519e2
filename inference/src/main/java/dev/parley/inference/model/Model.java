package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded model: the mapped GGUF file, its configuration, weights bound in place, tokenizer and chat template.
 * Loading validates everything up front, so a bad file fails here with one clear line, never mid-generation.
 * LoRA adapters attach to it by name ({@link #loadAdapter}); requests then name the adapter they are served with.
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;
    /** Attached adapters by name, in attachment order; replaced as a whole (copy on write) so readers need no lock. */
    private volatile Map<String, LoraAdapter> adapters = Map.of();

    private Model(GgufFile file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    public static Model load(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig config = ModelConfig.fromGguf(file);
            ModelWeights weights = ModelWeights.load(file, config);
            Tokenizer tokenizer = Tokenizer.fromGguf(file);
            if (tokenizer.vocabSize() != config.vocabSize())
                throw file.error("tokenizer has " + tokenizer.vocabSize() + " tokens but the model's vocabulary is " + config.vocabSize());
            return new Model(file, config, weights, tokenizer);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    public GgufFile file() { return file; }
    public ModelConfig config() { return config; }
    public ModelWeights weights() { return weights; }
    public Tokenizer tokenizer() { return tokenizer; }

    /** The model's own chat template ({@code tokenizer.chat_template}), or null. */
    public String chatTemplate() {
        return file.getString("tokenizer.chat_template", null);
    }

    /**
     * Reads a LoRA adapter for this model from {@code path} and attaches it as {@code name}. Throws, with one line naming
     * the file, for a file that is not an adapter of this model (architecture, tensor names or shapes), and for a name
     * already taken.
     */
    public synchronized LoraAdapter loadAdapter(String name, Path path) {
        if (name == null || name.isBlank() || !name.equals(name.strip()))
            throw new IllegalArgumentException("an adapter name must be non-empty, without surrounding spaces: '" + name + "'");
        if (adapters.containsKey(name)) throw new IllegalArgumentException("an adapter named '" + name + "' is already loaded");
        LoraAdapter adapter = LoraAdapter.load(name, path, this);
        Map<String, LoraAdapter> next = new LinkedHashMap<>(adapters);
        next.put(name, adapter);
        adapters = Collections.unmodifiableMap(next);
        return adapter;
    }

    /** The attached adapters by name, in the order they were loaded. */
    public Map<String, LoraAdapter> adapters() { return adapters; }

    /** The adapter attached as {@code name}; throws naming the loaded ones when there is none. */
    public LoraAdapter adapter(String name) {
        LoraAdapter a = adapters.get(name);
        if (a == null) throw new IllegalArgumentException("no LoRA adapter named '" + name + "' is loaded"
                + (adapters.isEmpty() ? "" : " (loaded: " + String.join(", ", adapters.keySet()) + ")"));
        return a;
    }

    public Transformer transformer(MatmulMode mode) {
        return new Transformer(config, weights, mode);
    }

    public SingleSequenceKvCache newSingleSequenceKvCache(int capacity) {
        return new SingleSequenceKvCache(config, capacity);
    }

    @Override public void close() {
        file.close();
    }
}
