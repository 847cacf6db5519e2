package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tokenizer.Tokenizer;
import java.nio.file.Path;

/**
 * A loaded model: the mapped GGUF file, its configuration, weights bound in place, tokenizer and chat template.
 * Loading validates everything up front, so a bad file fails here with one clear line, never mid-generation.
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;

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
