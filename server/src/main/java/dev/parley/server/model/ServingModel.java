package dev.parley.server.model;

import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.InferenceEngine;
import dev.parley.inference.model.Model;
import java.nio.file.Path;
import java.time.Duration;

/** The loaded model the server serves: its engine, chat formatting, the name clients see and what it is. */
public final class ServingModel implements AutoCloseable {
    private final String name;
    private final String description;
    private final Model model;
    private final InferenceEngine engine;
    private final ChatFormatter formatter;

    public ServingModel(String name, Model model, InferenceEngine engine, ChatFormatter formatter) {
        this(name, null, model, engine, formatter);
    }

    /** @param description what the model is, shown to users (the built-in demo model says it only continues text); or null */
    public ServingModel(String name, String description, Model model, InferenceEngine engine, ChatFormatter formatter) {
        this.name = name;
        this.description = description;
        this.model = model;
        this.engine = engine;
        this.formatter = formatter;
    }

    /** Loads a GGUF file and starts an engine on it (blocking: call it off the event loop). */
    public static ServingModel load(Path path, EngineConfig engineConfig, String chatTemplate) {
        return load(path, engineConfig, chatTemplate, null, null);
    }

    /** As {@link #load(Path, EngineConfig, String)}, with the name and description clients see (null: from the file name; none). */
    public static ServingModel load(Path path, EngineConfig engineConfig, String chatTemplate, String name, String description) {
        return load(path, engineConfig, chatTemplate, name, description, Duration.ZERO);
    }

    /**
     * As {@link #load(Path, EngineConfig, String, String, String)}, and returns only after the engine has run its
     * kernels for {@code warmUp} on throw-away batches, so the first requests do not pay for JIT compilation.
     */
    public static ServingModel load(Path path, EngineConfig engineConfig, String chatTemplate, String name, String description,
                                    Duration warmUp) {
        Model model = Model.load(path);
        try {
            ChatFormatter formatter = new ChatFormatter(model, chatTemplate);
            Engine engine = new Engine(model, engineConfig, warmUp);
            try {
                engine.warmedUp().join();
            } catch (RuntimeException e) {
                engine.close();
                throw e;
            }
            return new ServingModel(name != null ? name : nameOf(path), description, model, engine, formatter);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Clients see the file name without its extension (what they would type), e.g. {@code stories260K}. */
    static String nameOf(Path path) {
        String file = path.getFileName().toString();
        return file.endsWith(".gguf") ? file.substring(0, file.length() - 5) : file;
    }

    public String name() { return name; }
    public String description() { return description; }
    public Model model() { return model; }
    public InferenceEngine engine() { return engine; }
    public ChatFormatter formatter() { return formatter; }
    public int contextLength() { return model.config().contextLength(); }

    @Override public void close() {
        engine.close();
        model.close();
    }
}
