package dev.parley.server;

import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.InferenceEngine;
import dev.parley.inference.model.Model;
import java.nio.file.Path;

/** The loaded model the server serves: its engine, chat formatting and the name clients see. */
public final class ServingModel implements AutoCloseable {
    private final String name;
    private final Model model;
    private final InferenceEngine engine;
    private final ChatFormatter formatter;

    public ServingModel(String name, Model model, InferenceEngine engine, ChatFormatter formatter) {
        this.name = name;
        this.model = model;
        this.engine = engine;
        this.formatter = formatter;
    }

    /** Loads a GGUF file and starts an engine on it (blocking: call it off the event loop). */
    public static ServingModel load(Path path, EngineConfig engineConfig, String chatTemplate) {
        Model model = Model.load(path);
        try {
            ChatFormatter formatter = new ChatFormatter(model, chatTemplate);
            return new ServingModel(nameOf(path), model, new Engine(model, engineConfig), formatter);
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
    public Model model() { return model; }
    public InferenceEngine engine() { return engine; }
    public ChatFormatter formatter() { return formatter; }
    public int contextLength() { return model.config().contextLength(); }

    @Override public void close() {
        engine.close();
        model.close();
    }
}
