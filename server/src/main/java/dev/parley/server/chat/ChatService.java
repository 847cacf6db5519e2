package dev.parley.server.chat;

import dev.parley.inference.constrain.GrammarException;
import dev.parley.inference.constrain.GrammarSource;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.engine.EmbeddingListener;
import dev.parley.inference.engine.EmbeddingRequest;
import dev.parley.inference.engine.EngineOverloadedException;
import dev.parley.inference.engine.GenerationRequest;
import dev.parley.inference.engine.RequestHandle;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.server.http.ServerMetrics;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ReasoningFormat;
import dev.parley.server.model.ServingModel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What both APIs share: formatting a conversation off the event loop, checking it fits the context, and admitting
 * it to the engine (or refusing it with a clear code).
 */
public final class ChatService {
    /**
     * The most answers one request may ask for ({@code n} of the OpenAI API, {@code params.n} of the WebSocket). The
     * engine also refuses more than it runs at once ({@code --max-running}).
     */
    public static final int MAX_CHOICES = 8;

    /** How long an overloaded client is told to wait; a few decode steps' worth of work drains by then. */
    public static final long RETRY_AFTER_MS = 1000;

    private final Vertx vertx;
    private final ServingModel model;
    private final ServerMetrics metrics;
    private volatile boolean accepting = true;
    private final long maxWaitingTokens;
    /** Prompt tokens of requests submitted but not yet admitted (or ended) by the engine. */
    private final AtomicLong waitingTokens = new AtomicLong();

    public ChatService(Vertx vertx, ServingModel model, ServerMetrics metrics, long maxWaitingTokens) {
        this.vertx = vertx;
        this.model = model;
        this.metrics = metrics;
        this.maxWaitingTokens = maxWaitingTokens;
    }

    /** Prompt tokens waiting for the engine now. */
    public long waitingTokens() { return waitingTokens.get(); }

    public ServingModel model() { return model; }

    /** Stops admitting new requests (shutdown); running ones go on. */
    public void stopAccepting() { accepting = false; }

    public boolean accepting() { return accepting; }

    /** Renders and tokenizes on a worker thread; fails with context_overflow when the prompt leaves no room to generate. */
    public Future<int[]> chatPrompt(List<ChatMessage> messages) {
        // a TemplateException fails the future; ChatErrors answers it as the client's bad_request
        return vertx.executeBlocking(() -> checkFits(model.formatter().promptTokens(messages)), false);
    }

    /** As {@link #chatPrompt}, formatted by {@code format} (e.g. with the request's tools), on a worker thread. */
    public Future<int[]> chatPrompt(java.util.function.Function<dev.parley.server.model.ChatFormatter, int[]> format) {
        return vertx.executeBlocking(() -> checkFits(format.apply(model.formatter())), false);
    }

    public Future<int[]> rawPrompt(String prompt) {
        return vertx.executeBlocking(() -> checkFits(model.formatter().rawPromptTokens(prompt)), false);
    }

    /**
     * Compiles (or finds in the model's grammar cache) what a reply must match, on a worker thread: compiling a new
     * schema takes milliseconds, too long for an event loop. A malformed or unsupported source fails the future with
     * a {@code bad_request} naming the problem.
     */
    public Future<TokenConstraint> constraint(GrammarSource source) {
        return vertx.executeBlocking(() -> compile(source), false);
    }

    /**
     * The constraint a request's JSON asks for ({@link ResponseFormat}; {@code container} = the member holding the
     * fields, null for the top level), compiled off the event loop; the future holds null when there is none.
     */
    public Future<TokenConstraint> requestedConstraint(String json, String container) {
        if (!ResponseFormat.mentioned(json)) return Future.succeededFuture();
        return vertx.executeBlocking(() -> {
            GrammarSource source = ResponseFormat.requested(json, container);
            return source == null ? null : compile(source);
        }, false);
    }

    private TokenConstraint compile(GrammarSource source) {
        try {
            return model.engine().grammars().constraint(source);
        } catch (GrammarException e) {
            throw new ChatException(ErrorCode.BAD_REQUEST, describe(source.kind()) + ": " + e.getMessage());
        }
    }

    /** How the APIs name each kind of constraint in errors. */
    private static String describe(GrammarSource.Kind kind) {
        return switch (kind) {
            case GBNF -> "grammar";
            case JSON_SCHEMA -> "response_format json_schema";
            case JSON_OBJECT -> "response_format json_object";
            case REGEX -> "guided_regex";
            case CHOICE -> "guided_choice";
        };
    }

    private int[] checkFits(int[] prompt) {
        int ctx = model.contextLength();
        if (prompt.length >= ctx)
            throw new ChatException(ErrorCode.CONTEXT_OVERFLOW, "the prompt has " + prompt.length
                    + " tokens but the model's context holds " + ctx + " (prompt plus reply); shorten the conversation");
        return prompt;
    }

    /**
     * The LoRA adapter a request's model name selects: null for the base (its own name, or no name), the adapter of that
     * name, else {@code not_found} listing what is served. With {@code anyNameIsBase}, a server serving no adapters
     * answers every name with its one model (OpenAI clients send whatever model name they were configured with, and
     * llama.cpp's server ignores it); once adapters are served a name must be one of them, or a typo would silently
     * chat with the base.
     */
    public String adapterFor(String requested, String field, boolean anyNameIsBase) {
        List<String> adapters = model.adapterNames();
        if (requested == null || requested.isEmpty() || requested.equals(model.name())) return null;
        if (adapters.contains(requested)) return requested;
        if (anyNameIsBase && adapters.isEmpty()) return null;
        throw new ChatException(ErrorCode.NOT_FOUND, field + ": the model '" + requested + "' does not exist; this server serves "
                + String.join(", ", java.util.stream.Stream.concat(java.util.stream.Stream.of(model.name()), adapters.stream()).toList()));
    }

    /** Submits to the engine; callbacks arrive on {@code context}. Throws ChatException when it cannot be admitted. */
    public GenerationRun start(int[] prompt, SamplingParams params, Context context, GenerationRun.Sink sink) {
        return start(prompt, params, null, null, context, sink);
    }

    /**
     * As above, with the reply constrained to {@code constraint} (from {@link #constraint}; null = free text) and
     * generated with the LoRA {@code adapter} (from {@link #adapterFor}; null = the base model).
     */
    public GenerationRun start(int[] prompt, SamplingParams params, TokenConstraint constraint, String adapter, Context context,
                               GenerationRun.Sink sink) {
        return start(prompt, params, constraint, adapter, context, List.of(sink));
    }

    /**
     * The number of answers a request asks for: {@code n} as given (null = 1), refused with a {@code bad_request}
     * naming {@code field} when it is below 1 or above {@link #MAX_CHOICES}.
     */
    public static int choices(Integer n, String field) {
        if (n == null) return 1;
        if (n < 1 || n > MAX_CHOICES) throw new ChatException(ErrorCode.BAD_REQUEST, field + " must be in [1, " + MAX_CHOICES + "] (got " + n + ")");
        return n;
    }

    /**
     * As above, for one answer per sink (sink i gets answer i): the prompt is computed once and the answers share its
     * KV blocks. The prompt counts once against the waiting-tokens limit.
     */
    public GenerationRun start(int[] prompt, SamplingParams params, TokenConstraint constraint, String adapter, Context context,
                               List<? extends GenerationRun.Sink> sinks) {
        if (!accepting) {
            metrics.rejected();
            throw new ChatException(ErrorCode.OVERLOADED, "the server is shutting down", RETRY_AFTER_MS);
        }
        // reserve first, so concurrent submissions cannot all pass the check; one prompt alone always fits an empty queue
        long queued = waitingTokens.addAndGet(prompt.length);
        if (queued > maxWaitingTokens && queued != prompt.length) {
            waitingTokens.addAndGet(-prompt.length);
            metrics.rejected();
            throw new ChatException(ErrorCode.OVERLOADED, "the server is busy: " + (queued - prompt.length)
                    + " prompt tokens are waiting (limit " + maxWaitingTokens + ")", RETRY_AFTER_MS);
        }
        GenerationRun run = new GenerationRun(context, sinks, metrics, () -> waitingTokens.addAndGet(-prompt.length));
        try {
            run.attach(model.engine().submitChoices(new GenerationRequest(prompt, params, constraint, adapter), run.listeners()));
        } catch (RuntimeException e) {
            run.leftQueue();
            throw refusal(e);
        }
        metrics.accepted(prompt.length);
        return run;
    }

    /**
     * Submits one embedding input (its listener is called on the engine thread); throws ChatException when it cannot
     * be admitted. Embeddings are bounded by the engine's queue, not by the waiting-tokens limit: they never decode.
     */
    public RequestHandle embed(int[] tokens, EmbeddingListener listener) {
        if (!accepting) {
            metrics.rejected();
            throw new ChatException(ErrorCode.OVERLOADED, "the server is shutting down", RETRY_AFTER_MS);
        }
        try {
            return model.engine().embed(new EmbeddingRequest(tokens, model.pooling()), listener);
        } catch (RuntimeException e) {
            throw refusal(e);
        }
    }

    /**
     * The splitter of a chat reply's thinking from its answer when the model reasons ({@code --reasoning-format}), else
     * null. The prompt's last tokens tell whether the template already opened the thinking block for the model.
     */
    public ReasoningSplitter reasoningSplitter(int[] prompt) {
        if (model.reasoningFormat() == ReasoningFormat.NONE) return null;
        int[] tail = java.util.Arrays.copyOfRange(prompt, Math.max(0, prompt.length - 16), prompt.length);
        return new ReasoningSplitter(ReasoningSplitter.opensThinking(model.model().tokenizer().decode(tail)));
    }

    /** Why the engine refused a submission, as the error the client gets. */
    private ChatException refusal(RuntimeException e) {
        if (e instanceof EngineOverloadedException) {
            metrics.rejected();
            return new ChatException(ErrorCode.OVERLOADED, e.getMessage(), RETRY_AFTER_MS);
        }
        if (e instanceof IllegalArgumentException) return new ChatException(ErrorCode.BAD_REQUEST, e.getMessage());
        if (e instanceof IllegalStateException)
            return new ChatException(ErrorCode.OVERLOADED, "the engine is not accepting work: " + e.getMessage(), RETRY_AFTER_MS);
        throw e;
    }

    /** The time from submission to the last token, as tokens per second of decoding (0 when it cannot be told). */
    public static double decodeTokensPerSecond(dev.parley.inference.engine.Completion c) {
        int n = c.generatedTokens().length;
        long decodeNanos = c.totalNanos() - Math.max(0, c.timeToFirstTokenNanos());
        return n > 1 && decodeNanos > 0 ? (n - 1) * 1e9 / decodeNanos : 0;
    }
}
