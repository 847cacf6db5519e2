package dev.parley.server.model;

import dev.parley.inference.engine.Engine;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.engine.InferenceEngine;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.Pooling;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loaded model the server serves: its engine, chat formatting, the name clients see and what it is, and the LoRA
 * adapters attached to it (each served under its own name, in one batch with the base).
 */
public final class ServingModel implements AutoCloseable {
    private final String name;
    private final String description;
    private final Model model;
    private final InferenceEngine engine;
    private final ChatFormatter formatter;
    private final EngineConfig engineConfig;
    private final Pooling pooling;
    private final String poolingSource;
    private final ReasoningFormat reasoningFormat;

    /** @param description what the model is, shown to users (the built-in demo model says it only continues text); or null */
    private ServingModel(String name, String description, Model model, InferenceEngine engine, ChatFormatter formatter,
                         EngineConfig engineConfig, Pooling pooling, String poolingSource, ReasoningFormat reasoningFormat) {
        this.reasoningFormat = reasoningFormat;
        this.pooling = pooling;
        this.poolingSource = poolingSource;
        this.name = name;
        this.description = description;
        this.model = model;
        this.engine = engine;
        this.formatter = formatter;
        this.engineConfig = engineConfig;
    }

    /** How a model file is served; every setting has a default, so callers set only what they mean. */
    public static final class Options {
        private EngineConfig engine = EngineConfig.defaults();
        private String chatTemplate;
        private String name;
        private String description;
        private Duration warmUp = Duration.ZERO;
        private Pooling pooling;
        private ReasoningFormat reasoningFormat;
        private final Map<String, Path> adapters = new LinkedHashMap<>();

        public Options engine(EngineConfig value) { engine = value; return this; }

        /** Jinja source overriding the model's template; null (default) = the model's own, or ChatML if it has none. */
        public Options chatTemplate(String source) { chatTemplate = source; return this; }

        /** The name clients see; null (default) = the file name without {@code .gguf}. */
        public Options name(String value) { name = value; return this; }

        /** What the model is, shown to users; null (default) = nothing. */
        public Options description(String value) { description = value; return this; }

        /** Run the kernels this long on throw-away batches before returning, so the first requests skip JIT compilation. */
        public Options warmUp(Duration value) { warmUp = value; return this; }

        /**
         * How {@code /v1/embeddings} pools hidden states; null (default) = the model's {@code <arch>.pooling_type},
         * else {@link #DEFAULT_POOLING}.
         */
        public Options pooling(Pooling value) { pooling = value; return this; }

        /** How replies are split into reasoning and content; null (default) = as the template and vocabulary call for. */
        public Options reasoningFormat(ReasoningFormat value) { reasoningFormat = value; return this; }

        /** Serves the LoRA adapter in {@code file} (llama.cpp's adapter GGUF) as the model {@code name}, too. */
        public Options lora(String name, Path file) {
            if (adapters.putIfAbsent(name, file) != null) throw new IllegalArgumentException("--lora " + name + " is given twice");
            return this;
        }
    }

    /**
     * The pooling of a model whose file names none (a generative model): its last token's state, the only one that has
     * attended to the whole input in a causal model, and what decoder embedding models (Qwen3-Embedding, e5-mistral)
     * use. llama.cpp's server would refuse such a model without {@code --pooling}.
     */
    public static final Pooling DEFAULT_POOLING = Pooling.LAST;

    /** Loads a GGUF file and starts an engine on it (blocking: call it off the event loop). */
    public static ServingModel load(Path path, Options options) {
        Model model = Model.load(path);
        try {
            ChatFormatter formatter = new ChatFormatter(model, options.chatTemplate);
            String name = options.name != null ? options.name : nameOf(path);
            for (var lora : options.adapters.entrySet()) {
                if (lora.getKey().equals(name))
                    throw new IllegalArgumentException("--lora " + lora.getKey() + ": the base model is served under that name");
                model.loadAdapter(lora.getKey(), lora.getValue());
            }
            Engine engine = new Engine(model, options.engine, options.warmUp);
            try {
                engine.warmedUp().join();
            } catch (RuntimeException e) {
                engine.close();
                throw e;
            }
            Pooling own = Pooling.ofModel(model.file());
            Pooling pooling = options.pooling != null ? options.pooling : own != null ? own : DEFAULT_POOLING;
            String source = options.pooling != null ? "--pooling" : own != null ? "the model's pooling_type" : "default";
            ReasoningFormat reasoning = options.reasoningFormat != null ? options.reasoningFormat
                    : ReasoningFormat.detect(formatter.templateSource(), model.tokenizer());
            return new ServingModel(name, options.description, model, engine, formatter, options.engine, pooling, source, reasoning);
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
    /** The names of the LoRA adapters served besides the base, in the order they were given. */
    public List<String> adapterNames() { return List.copyOf(model.adapters().keySet()); }
    public Model model() { return model; }
    public InferenceEngine engine() { return engine; }
    public ChatFormatter formatter() { return formatter; }
    /** How embeddings pool hidden states, and why ("--pooling", "the model's pooling_type" or "default"). */
    public Pooling pooling() { return pooling; }
    public String poolingSource() { return poolingSource; }
    /** Whether chat replies are split into reasoning and content (the option, or what the template and vocabulary call for). */
    public ReasoningFormat reasoningFormat() { return reasoningFormat; }
    public int contextLength() { return model.config().contextLength(); }

    /** The weights' bytes: the GGUF file, memory-mapped outside the Java heap (resident as far as it is touched). */
    public long weightsBytes() { return model.file().fileSize(); }

    /** The KV cache's bytes, allocated outside the Java heap when the engine started. */
    public long kvCacheBytes() {
        long blockBytes = PagedKvCache.blockBytes(model.config().kvShape(), engineConfig.kvFormat(), engineConfig.kvBlockSize());
        return engine.stats().totalBlocks() * blockBytes;
    }

    @Override public void close() {
        engine.close();
        model.close();
    }
}
