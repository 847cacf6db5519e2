package dev.parley.server.openai;

import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.engine.Completion;
import dev.parley.inference.engine.FinishReason;
import dev.parley.inference.engine.TokenEvent;
import dev.parley.inference.sampling.SamplingParams;
import dev.parley.inference.sampling.TokenLogprobs;
import dev.parley.inference.tokenizer.Tokenizer;
import dev.parley.server.chat.ChatErrors;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ChatService;
import dev.parley.server.chat.ErrorCode;
import dev.parley.server.chat.GenerationRun;
import dev.parley.server.chat.InFlight;
import dev.parley.server.chat.Messages;
import dev.parley.server.chat.ReasoningSplitter;
import dev.parley.server.chat.ReplyStream;
import dev.parley.server.chat.SamplingRequest;
import dev.parley.server.chat.TemplateKwargs;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.http.ApiKeys;
import dev.parley.server.http.Json;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.openai.OpenAiFormat.ChatCompletionRequest;
import dev.parley.server.tools.ToolCallExtractor;
import dev.parley.server.tools.ToolConstraint;
import dev.parley.server.tools.ToolPrompt;
import dev.parley.server.tools.ToolRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The OpenAI-compatible HTTP API's handlers (routed by {@code ParleyServer}): {@code POST /v1/chat/completions} and
 * {@code POST /v1/completions} (JSON or SSE stream), {@code POST /v1/embeddings} and {@code GET /v1/models}. A reply
 * may be constrained by {@code response_format}, {@code grammar}, {@code guided_regex} or {@code guided_choice} ({@link dev.parley.server.chat.ResponseFormat}).
 * Errors use OpenAI's {@code {"error":{message,type,param,code}}} shape. A dropped connection cancels generation.
 */
public final class OpenAiApi {
    private static final System.Logger LOG = System.getLogger(OpenAiApi.class.getName());
    private final Supplier<ChatService> chat;
    private final ServerConfig.Auth auth;
    private final ServerConfig.Streaming streaming;
    private final InFlight active;

    public OpenAiApi(Supplier<ChatService> chat, ServerConfig.Auth auth, ServerConfig.Streaming streaming, InFlight active) {
        this.chat = chat;
        this.auth = auth;
        this.streaming = streaming;
        this.active = active;
    }

    /** Counts the request as in flight until its response ends: a drain waits for it (a stream's last chunks follow the engine). */
    public void track(RoutingContext ctx) {
        active.begin();
        ctx.addEndHandler(v -> active.end());
        ctx.next();
    }

    /** Lets the request on only with an accepted {@code Authorization: Bearer} key (when keys are configured). */
    public void authenticate(RoutingContext ctx) {
        if (ApiKeys.allows(auth.apiKeys(), ctx.request(), false)) ctx.next();
        else fail(ctx, new ChatException(ErrorCode.UNAUTHORIZED, "missing or invalid API key (send Authorization: Bearer KEY)"));
    }

    private ChatService service(RoutingContext ctx) {
        ChatService c = chat.get();
        if (c == null) {
            ctx.response().putHeader("Retry-After", "1");
            error(ctx.response(), 503, "the model is not loaded yet, or the server is shutting down", "server_error", "unavailable");
        }
        return c;
    }

    public void models(RoutingContext ctx) {
        ChatService c = service(ctx);
        if (c == null) return;
        // the base, then each LoRA adapter with the base as its parent (vLLM's listing)
        List<OpenAiFormat.ModelInfo> models = new ArrayList<>();
        models.add(new OpenAiFormat.ModelInfo(c.model().name(), "model", 0, "parley", null));
        for (String adapter : c.model().adapterNames()) models.add(new OpenAiFormat.ModelInfo(adapter, "model", 0, "parley", c.model().name()));
        json(ctx.response(), 200, new OpenAiFormat.ModelList("list", models));
    }

    public void chatCompletions(RoutingContext ctx) {
        ChatService c = service(ctx);
        if (c == null) return;
        ChatCompletionRequest req;
        List<ChatMessage> messages;
        SamplingParams params;
        ToolRequest tools;
        Map<String, Object> templateKwargs;
        String adapter;
        int topLogprobs = -1;
        int n;
        try {
            req = body(ctx, ChatCompletionRequest.class);
            n = ChatService.choices(req.n(), "n");
            adapter = c.adapterFor(req.model(), "model", true);
            messages = messages(req);
            templateKwargs = TemplateKwargs.check(req.chatTemplateKwargs(), "chat_template_kwargs");
            tools = ToolRequest.parse(req.tools(), req.toolChoice(), req.parallelToolCalls(), "");
            if (Boolean.TRUE.equals(req.logprobs())) {
                topLogprobs = req.topLogprobs() == null ? 0 : req.topLogprobs();
                if (topLogprobs < 0 || topLogprobs > 20) throw bad("top_logprobs must be in [0, 20] (got " + topLogprobs + ")");
            } else if (req.topLogprobs() != null) {
                throw bad("top_logprobs needs logprobs: true");
            }
            params = samplingParams(req, topLogprobs, c.model().model().config().vocabSize());
        } catch (ChatException e) {
            fail(ctx, e);
            return;
        }
        int top = topLogprobs;
        Replies replies = new Replies(ctx, c, streamOf(req.stream()), includeUsage(req.streamOptions()), "chatcmpl-", n,
                (group, index) -> new ChatReply(group, index, top, ToolCallExtractor.forReply(c.model(), tools)));
        replies.adapter = adapter;
        generate(ctx, c, c.chatPrompt(f -> ToolPrompt.promptTokens(f.withTemplateKwargs(templateKwargs), messages, tools)),
                ToolConstraint.of(c, tools, c.requestedConstraint(ctx.body().asString(), null)), params, replies);
    }

    /** {@code POST /v1/embeddings}: see {@link Embeddings}. */
    public void embeddings(RoutingContext ctx) {
        ChatService c = service(ctx);
        if (c != null) Embeddings.handle(ctx, c);
    }

    /** The legacy text completion: a raw prompt (no chat template), continued as is. */
    public void completions(RoutingContext ctx) {
        ChatService c = service(ctx);
        if (c == null) return;
        OpenAiFormat.CompletionRequest req;
        String prompt;
        SamplingParams params;
        int n;
        String adapter;
        try {
            req = body(ctx, OpenAiFormat.CompletionRequest.class);
            n = ChatService.choices(req.n(), "n");
            adapter = c.adapterFor(req.model(), "model", true);
            prompt = promptText(req.prompt());
            if (req.suffix() != null && !req.suffix().isEmpty()) throw bad("suffix (fill-in-the-middle) is not supported");
            if (req.bestOf() != null && req.bestOf() != 1) throw bad("best_of must be 1 (got " + req.bestOf() + ")");
            int top = req.logprobs() == null ? -1 : req.logprobs();
            if (req.logprobs() != null && (top < 0 || top > 5)) throw bad("logprobs must be in [0, 5] (got " + top + ")");
            params = samplingParams(req, top, c.model().model().config().vocabSize());
        } catch (ChatException e) {
            fail(ctx, e);
            return;
        }
        int top = req.logprobs() == null ? -1 : req.logprobs();
        String echo = Boolean.TRUE.equals(req.echo()) ? prompt : "";
        Replies replies = new Replies(ctx, c, streamOf(req.stream()), includeUsage(req.streamOptions()), "cmpl-", n,
                (group, index) -> new TextReply(group, index, top, echo));
        replies.adapter = adapter;
        generate(ctx, c, c.rawPrompt(prompt), c.requestedConstraint(ctx.body().asString(), null), params, replies);
    }

    static <T> T body(RoutingContext ctx, Class<T> type) {
        if (ctx.body().buffer() == null) throw bad("the request body must be a JSON object");
        try {
            return Json.read(ctx.body().buffer().getBytes(), type);
        } catch (Json.InvalidJson e) {
            throw bad(e.getMessage());
        }
    }

    /** SSE with the server's slow-reader limits when the client asked for a stream; null for one JSON reply. */
    private ServerConfig.Streaming streamOf(Boolean stream) {
        return Boolean.TRUE.equals(stream) ? streaming : null;
    }

    private static boolean includeUsage(OpenAiFormat.StreamOptions o) {
        return o != null && Boolean.TRUE.equals(o.includeUsage());
    }

    /**
     * Once the prompt is tokenized and the constraint (response_format, grammar, ...; null = none) compiled, both off
     * the event loop, admits it and streams or collects the reply's answers.
     */
    private static void generate(RoutingContext ctx, ChatService c, Future<int[]> prompt, Future<TokenConstraint> constraint,
                                 SamplingParams params, Replies reply) {
        Future.all(prompt, constraint).onComplete(ar -> {
            if (ctx.response().closed()) return;
            if (ar.failed()) {
                fail(ctx, ar.cause());
                return;
            }
            try {
                for (Reply choice : reply.choices) choice.promptReady(prompt.result());
                reply.run = c.start(prompt.result(), params, constraint.result(), reply.adapter, ctx.vertx().getOrCreateContext(),
                        reply.choices);
            } catch (ChatException e) {
                fail(ctx, e);
                return;
            }
            ctx.response().closeHandler(v -> reply.clientLeft()); // stop generating for nobody
            if (reply.streaming != null) reply.startStream();
        });
    }

    /** A string, or an array holding exactly one string (one prompt per request: batches of prompts are not supported). */
    private static String promptText(Object prompt) {
        if (prompt instanceof String s && !s.isEmpty()) return s;
        if (prompt instanceof List<?> list && list.size() == 1 && list.getFirst() instanceof String s && !s.isEmpty()) return s;
        if (prompt instanceof List<?> list && list.size() > 1) throw bad("one prompt per request: 'prompt' has " + list.size() + " entries");
        throw bad("'prompt' must be a non-empty string");
    }

    private static List<ChatMessage> messages(ChatCompletionRequest req) {
        if (req.messages() == null || req.messages().isEmpty()) throw bad("'messages' must be a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < req.messages().size(); i++) {
            OpenAiFormat.Message m = req.messages().get(i);
            if (m == null) throw bad("messages[" + i + "] is null");
            String role = "developer".equals(m.role()) ? "system" : m.role(); // OpenAI's newer name for system
            ChatMessage cm = new ChatMessage(role, contentText(m.content(), i), m.toolCalls(), m.toolCallId());
            Messages.validate(cm, "messages[" + i + "]");
            out.add(cm);
        }
        Messages.validateToolResults(out, i -> "messages[" + i + "]");
        return out;
    }

    /** A string, or an array of content parts of which only text parts are supported. */
    private static String contentText(Object content, int i) {
        if (content == null || content instanceof String) return (String) content;
        if (content instanceof List<?> parts) {
            StringBuilder sb = new StringBuilder();
            for (Object p : parts) {
                if (p instanceof Map<?, ?> part && "text".equals(part.get("type")) && part.get("text") instanceof String t) sb.append(t);
                else throw bad("messages[" + i + "].content: only text parts are supported");
            }
            return sb.toString();
        }
        throw bad("messages[" + i + "].content must be a string or an array of text parts");
    }

    /** {@code topLogprobs}: -1 = no logprobs, else the alternatives per token (validated by the caller). */
    private static SamplingParams samplingParams(OpenAiFormat.SamplingFields r, int topLogprobs, int vocabSize) {
        Integer max = r.tokenLimit();
        if (max != null && max < 1) throw bad("max_tokens must be >= 1 (got " + max + ")");
        if (r.temperature() != null && r.temperature() > 2) throw bad("temperature must be in [0, 2] (got " + r.temperature() + ")");
        SamplingRequest b = SamplingRequest.openAiDefaults().maxTokens(max).temperature(r.temperature()).topP(r.topP())
                .topK(r.topK()).minP(r.minP()).seed(r.seed()).presencePenalty(r.presencePenalty())
                .frequencyPenalty(r.frequencyPenalty()).stop(stops(r.stop())).ignoreEos(r.ignoreEos());
        if (r.logitBias() != null) {
            Map<Integer, Float> bias = new HashMap<>();
            for (var e : r.logitBias().entrySet()) {
                int token;
                try {
                    token = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw bad("logit_bias keys must be token ids (got '" + e.getKey() + "')");
                }
                if (token < 0 || token >= vocabSize) throw bad("logit_bias token " + token + " is out of range [0, " + vocabSize + ")");
                if (e.getValue() == null || e.getValue() < -100 || e.getValue() > 100) throw bad("logit_bias values must be in [-100, 100]");
                bias.put(token, e.getValue() <= -100 ? Float.NEGATIVE_INFINITY : e.getValue().floatValue());
            }
            b.logitBias(bias);
        }
        // the engine reports the chosen token's logprob only when asked for >= 1 alternative
        if (topLogprobs >= 0) b.logprobs(Math.max(1, topLogprobs));
        return b.build();
    }

    private static List<String> stops(Object stop) {
        if (stop == null) return List.of();
        if (stop instanceof String s) return List.of(s);
        if (stop instanceof List<?> list && list.size() <= 4 && list.stream().allMatch(x -> x instanceof String)) {
            List<String> out = new ArrayList<>();
            for (Object o : list) out.add((String) o);
            return out;
        }
        throw bad("stop must be a string or an array of up to 4 strings");
    }

    /**
     * The reply to one request on its HTTP response: its n answers ({@code n}, 1 by default), each a {@link Reply}
     * with its choice index. A stream interleaves their chunks, each carrying its index as OpenAI's do, and ends after
     * the last answer's finish chunk (then the usage chunk when asked for, then {@code [DONE]}); a JSON reply goes out
     * whole once every answer is complete. Usage counts the prompt once and the answers' tokens summed.
     */
    private static final class Replies {
        final HttpServerResponse response;
        final ChatService chat;
        /** The slow-reader limits of an SSE reply; null for one JSON body. */
        final ServerConfig.Streaming streaming;
        final boolean includeUsage;
        final String id;
        final long created = System.currentTimeMillis() / 1000;
        final Vertx vertx;
        final List<Reply> choices;
        /** A JSON reply's choices, by index, as each answer completes. */
        private final Object[] bodies;
        private int completed, completionTokens;
        /** An answer failed: the response ended with the error, the others were cancelled. */
        private boolean failed;
        GenerationRun run;
        /** The LoRA adapter the request's model name selected; null = the base model. */
        String adapter;

        Replies(RoutingContext ctx, ChatService chat, ServerConfig.Streaming streaming, boolean includeUsage, String idPrefix,
                int n, java.util.function.BiFunction<Replies, Integer, Reply> choice) {
            this.response = ctx.response();
            this.vertx = ctx.vertx();
            this.chat = chat;
            this.streaming = streaming;
            this.includeUsage = includeUsage;
            this.id = idPrefix + UUID.randomUUID().toString().replace("-", "");
            List<Reply> answers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) answers.add(choice.apply(this, i));
            this.choices = List.copyOf(answers);
            this.bodies = new Object[n];
        }

        void startStream() {
            response.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
            response.drainHandler(v -> choices.forEach(choice -> choice.sse.drained()));
            for (Reply choice : choices) choice.startStream();
        }

        /** The connection closed: generating on would be for nobody. */
        void clientLeft() {
            for (Reply choice : choices) if (choice.sse != null) choice.sse.close();
            run.cancel();
        }

        /** Nothing more may be written: the client left, or the response ended (with an error, or complete). */
        boolean over() {
            return response.closed() || response.ended();
        }

        void write(Object body) {
            if (!over()) response.write("data: " + Json.write(body) + "\n\n");
        }

        /** Answer {@code index} is complete ({@code body}: its JSON choice, null when streamed); the last one ends the reply. */
        void completed(int index, Completion c, Object body) {
            bodies[index] = body;
            completionTokens += c.generatedTokens().length;
            if (++completed < choices.size()) return;
            OpenAiFormat.Usage usage = new OpenAiFormat.Usage(c.promptTokens(), completionTokens, c.promptTokens() + completionTokens,
                    new OpenAiFormat.PromptTokensDetails(c.cachedTokens()));
            Reply first = choices.getFirst();
            if (streaming == null) {
                json(response, 200, first.wholeReply(List.of(bodies), usage));
                return;
            }
            if (includeUsage) write(first.usageChunk(usage));
            response.end("data: [DONE]\n\n");
        }

        /** An answer failed in the engine: the reply ends with the error and the other answers are cancelled. */
        void failed(RuntimeException error) {
            LOG.log(Level.WARNING, id + " failed in the engine", error);
            if (failed) return;
            failed = true;
            run.cancel();
            if (over()) return;
            if (streaming == null) {
                error(response, 500, "generation failed: " + error.getMessage(), "server_error", "internal");
                return;
            }
            for (Reply choice : choices) choice.sse.close();
            write(new OpenAiFormat.ErrorBody(new OpenAiFormat.ErrorDetail("generation failed: " + error.getMessage(), "server_error", null, "internal")));
            response.end("data: [DONE]\n\n");
        }
    }

    /**
     * One answer being produced: collects it for a JSON reply, or streams it as SSE chunks through a
     * {@link ReplyStream} (which coalesces text while the client is behind and cancels a client that stopped reading).
     * The subclasses give the two endpoints' body shapes.
     */
    private abstract static class Reply implements GenerationRun.Sink, ReplyStream.Transport {
        final Replies reply;
        /** This answer's place among the request's n: every chunk and choice carries it. */
        final int index;
        final HttpServerResponse response;
        final ChatService chat;
        /** -1 = no logprobs, else how many alternatives per token. */
        final int topLogprobs;
        final String id;
        final long created;
        /** A JSON reply's logprobs, all of them. */
        final List<TokenLogprobs> logprobs = new ArrayList<>();
        ReplyStream sse;

        Reply(Replies reply, int index, int topLogprobs) {
            this.reply = reply;
            this.index = index;
            this.response = reply.response;
            this.chat = reply.chat;
            this.topLogprobs = topLogprobs;
            this.id = reply.id;
            this.created = reply.created;
        }

        /** The prompt is tokenized, before the engine has it. */
        void promptReady(int[] prompt) {}

        /** The first event of a stream (before any token). */
        abstract void firstChunk();

        /** A chunk with new text and the logprobs of the tokens it covers ({@code lp} null without logprobs). */
        abstract Object textChunk(String text, List<TokenLogprobs> lp);

        abstract Object finishChunk(String finishReason);

        /** The usage chunk of a stream (no choices). */
        abstract Object usageChunk(OpenAiFormat.Usage usage);

        /** This answer as a choice of the JSON reply. */
        abstract Object choice(Completion c, String finishReason);

        /** The JSON reply holding every answer's {@link #choice}, in index order. */
        abstract Object wholeReply(List<Object> choices, OpenAiFormat.Usage usage);

        /** The model the reply names: the requested adapter, or the base. */
        String modelName() {
            return reply.adapter != null ? reply.adapter : chat.model().name();
        }

        void startStream() {
            sse = new ReplyStream(reply.vertx, this, reply.streaming, topLogprobs >= 0, reply.run::cancel, id + "/" + index);
            firstChunk();
        }

        @Override public void token(TokenEvent e) {
            if (sse != null) sse.token(e);
            else if (topLogprobs >= 0 && e.logprobs() != null) logprobs.add(e.logprobs());
        }

        @Override public boolean writeQueueFull() { return response.writeQueueFull(); }

        @Override public boolean closed() { return reply.over(); }

        @Override public void write(String text, List<TokenLogprobs> lp) { write(textChunk(text, lp)); }

        void write(Object body) {
            reply.write(body);
        }

        /**
         * The text is complete (a stream's has gone out): the finish reason. Called once; a chat reply with tools
         * first gives out what it held back (text that might have opened a call).
         */
        String endOfText(Completion c) {
            return finishReason(c.finishReason());
        }

        @Override public void completed(Completion c) {
            if (reply.over()) return;
            if (sse == null) {
                reply.completed(index, c, choice(c, endOfText(c)));
                return;
            }
            sse.finish();
            write(finishChunk(endOfText(c)));
            reply.completed(index, c, null);
        }

        @Override public void failed(RuntimeException error) {
            reply.failed(error);
        }

        String piece(int token) {
            return new String(chat.model().model().tokenizer().pieceBytes(token), StandardCharsets.UTF_8);
        }
    }

    /** {@code /v1/chat/completions}: chat.completion bodies and chat.completion.chunk events. */
    private static final class ChatReply extends Reply {
        /** Separates tool calls from the text when the request offered tools; else null. */
        private final ToolCallExtractor tools;

        ChatReply(Replies reply, int index, int topLogprobs, ToolCallExtractor tools) {
            super(reply, index, topLogprobs);
            this.tools = tools;
        }

        /** Splits a reasoning model's thinking from its answer (set once the prompt is known); else null. */
        private ReasoningSplitter reasoning;

        @Override void promptReady(int[] prompt) {
            reasoning = chat.reasoningSplitter(prompt);
        }

        @Override public void write(String text, List<TokenLogprobs> lp) {
            if (reasoning == null) writeAnswer(text, lp);
            else writeSplit(reasoning.accept(text), lp);
        }

        /** Thinking as reasoning_content deltas, the answer as content (the first piece with the tokens' logprobs). */
        private void writeSplit(List<ReasoningSplitter.Piece> pieces, List<TokenLogprobs> lp) {
            for (ReasoningSplitter.Piece piece : pieces) {
                switch (piece) {
                    case ReasoningSplitter.Reasoning thinking ->
                            write(chunk(new OpenAiFormat.Delta(null, null, null, thinking.text()), lp == null ? null : logprobs(lp), null));
                    case ReasoningSplitter.Content answer -> writeAnswer(answer.text(), lp);
                }
                lp = null;
            }
        }

        /** The answer's text: through the tool-call extractor when the request offered tools. */
        private void writeAnswer(String text, List<TokenLogprobs> lp) {
            if (tools == null) super.write(text, lp);
            else writePieces(tools.accept(text), lp);
        }

        /** Content pieces as content deltas (the first with the tokens' logprobs), call pieces as tool_calls deltas. */
        private void writePieces(List<ToolCallExtractor.Piece> pieces, List<TokenLogprobs> lp) {
            for (ToolCallExtractor.Piece piece : pieces) {
                switch (piece) {
                    case ToolCallExtractor.Content content -> {
                        write(textChunk(content.text(), lp));
                        lp = null;
                    }
                    case ToolCallExtractor.CallPiece call ->
                            write(chunk(new OpenAiFormat.Delta(null, null, List.of(dev.parley.server.tools.ToolCallChunk.of(call))), null, null));
                }
            }
        }

        @Override String endOfText(Completion c) {
            if (reasoning != null) {
                if (sse == null) reasoning.accept(c.text());
                List<ReasoningSplitter.Piece> rest = reasoning.finish();
                if (sse != null) writeSplit(rest, null);
            }
            if (tools == null) return super.endOfText(c);
            if (sse == null) tools.accept(answer(c));
            List<ToolCallExtractor.Piece> rest = tools.finish();
            if (sse != null) writePieces(rest, null);
            return ToolReplies.finishReason(tools, super.endOfText(c));
        }

        @Override void firstChunk() { write(chunk(new OpenAiFormat.Delta("assistant", ""), null, null)); }

        @Override Object textChunk(String text, List<TokenLogprobs> lp) {
            return chunk(new OpenAiFormat.Delta(null, text), lp == null ? null : logprobs(lp), null);
        }

        @Override Object finishChunk(String finishReason) { return chunk(new OpenAiFormat.Delta(null, null), null, finishReason); }

        @Override Object usageChunk(OpenAiFormat.Usage usage) {
            return new OpenAiFormat.Chunk(id, "chat.completion.chunk", created, modelName(), List.of(), usage);
        }

        @Override Object choice(Completion c, String finishReason) {
            OpenAiFormat.Logprobs lp = topLogprobs >= 0 ? logprobs(logprobs) : null;
            OpenAiFormat.OutMessage message = tools == null ? new OpenAiFormat.OutMessage("assistant", answer(c), null)
                    : ToolReplies.message(tools);
            if (reasoning != null) message = message.withReasoning(reasoning.reasoning());
            return new OpenAiFormat.Choice(index, message, lp, finishReason);
        }

        @Override Object wholeReply(List<Object> choices, OpenAiFormat.Usage usage) {
            return new OpenAiFormat.ChatCompletion(id, "chat.completion", created, modelName(),
                    choices.stream().map(OpenAiFormat.Choice.class::cast).toList(), usage);
        }

        /** The reply's text without its thinking. */
        private String answer(Completion c) {
            return reasoning == null ? c.text() : reasoning.content();
        }

        private OpenAiFormat.Chunk chunk(OpenAiFormat.Delta delta, OpenAiFormat.Logprobs lp, String finishReason) {
            return new OpenAiFormat.Chunk(id, "chat.completion.chunk", created, modelName(),
                    List.of(new OpenAiFormat.ChunkChoice(index, delta, lp, finishReason)), null);
        }

        private OpenAiFormat.Logprobs logprobs(List<TokenLogprobs> lps) {
            Tokenizer tok = chat.model().model().tokenizer();
            List<OpenAiFormat.TokenLogprob> out = new ArrayList<>(lps.size());
            for (TokenLogprobs lp : lps) {
                List<OpenAiFormat.TopLogprob> top = new ArrayList<>();
                for (int i = 0; i < Math.min(topLogprobs, lp.topIds().length); i++) {
                    byte[] b = tok.pieceBytes(lp.topIds()[i]);
                    top.add(new OpenAiFormat.TopLogprob(new String(b, StandardCharsets.UTF_8), lp.topLogprobs()[i], bytes(b)));
                }
                byte[] b = tok.pieceBytes(lp.token());
                out.add(new OpenAiFormat.TokenLogprob(new String(b, StandardCharsets.UTF_8), lp.logprob(), bytes(b), top));
            }
            return new OpenAiFormat.Logprobs(out);
        }
    }

    /** {@code /v1/completions}: text_completion bodies and events (the same object type streamed, as OpenAI does). */
    private static final class TextReply extends Reply {
        /** The prompt when {@code echo} asked for it: the reply's text starts with it. */
        private final String echo;
        /** Characters of reply text before the next token, for the legacy {@code text_offset}. */
        private int textOffset;

        TextReply(Replies reply, int index, int topLogprobs, String echo) {
            super(reply, index, topLogprobs);
            this.echo = echo;
            this.textOffset = echo.length();
        }

        @Override void firstChunk() {
            if (!echo.isEmpty()) write(chunk(echo, null, null));
        }

        @Override Object textChunk(String text, List<TokenLogprobs> lp) {
            return chunk(text, lp == null ? null : logprobs(lp), null);
        }

        @Override Object finishChunk(String finishReason) { return chunk("", null, finishReason); }

        @Override Object usageChunk(OpenAiFormat.Usage usage) {
            return new OpenAiFormat.TextCompletion(id, "text_completion", created, modelName(), List.of(), usage);
        }

        @Override Object choice(Completion c, String finishReason) {
            return new OpenAiFormat.TextChoice(echo + c.text(), index, topLogprobs >= 0 ? logprobs(logprobs) : null, finishReason);
        }

        @Override Object wholeReply(List<Object> choices, OpenAiFormat.Usage usage) {
            return new OpenAiFormat.TextCompletion(id, "text_completion", created, modelName(),
                    choices.stream().map(OpenAiFormat.TextChoice.class::cast).toList(), usage);
        }

        private OpenAiFormat.TextCompletion chunk(String text, OpenAiFormat.TextLogprobs lp, String finishReason) {
            return new OpenAiFormat.TextCompletion(id, "text_completion", created, modelName(),
                    List.of(new OpenAiFormat.TextChoice(text, index, lp, finishReason)), null);
        }

        /** Offsets count token pieces' characters, the way the legacy API reports them. */
        private OpenAiFormat.TextLogprobs logprobs(List<TokenLogprobs> lps) {
            List<String> tokens = new ArrayList<>();
            List<Double> tokenLogprobs = new ArrayList<>();
            List<Map<String, Double>> top = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            for (TokenLogprobs lp : lps) {
                String piece = piece(lp.token());
                tokens.add(piece);
                tokenLogprobs.add((double) lp.logprob());
                Map<String, Double> alternatives = new java.util.LinkedHashMap<>();
                for (int i = 0; i < Math.min(topLogprobs, lp.topIds().length); i++)
                    alternatives.putIfAbsent(piece(lp.topIds()[i]), (double) lp.topLogprobs()[i]);
                top.add(alternatives);
                offsets.add(textOffset);
                textOffset += piece.length();
            }
            return new OpenAiFormat.TextLogprobs(tokens, tokenLogprobs, top, offsets);
        }
    }

    /** OpenAI has no "context full" or "cancelled": both end the text early, which it calls length. */
    private static String finishReason(FinishReason r) {
        return r == FinishReason.STOP ? "stop" : "length";
    }

    private static List<Integer> bytes(byte[] b) {
        List<Integer> out = new ArrayList<>(b.length);
        for (byte x : b) out.add(x & 0xff);
        return out;
    }

    static ChatException bad(String message) {
        return new ChatException(ErrorCode.BAD_REQUEST, message);
    }

    /** Any failure, as OpenAI's error body (the mapping to a client error is {@link ChatErrors}'). */
    static void fail(RoutingContext ctx, Throwable t) {
        if (ctx.response().closed() || ctx.response().ended()) return;
        ChatException e = ChatErrors.of(t, "internal error");
        if (e.retryAfterMs != null) ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, (e.retryAfterMs + 999) / 1000)));
        String type = switch (e.code) {
            case OVERLOADED -> "rate_limit_error";
            case INTERNAL, UNAVAILABLE -> "server_error";
            case UNAUTHORIZED -> "authentication_error";
            default -> "invalid_request_error";
        };
        String code = switch (e.code) {
            case CONTEXT_OVERFLOW -> "context_length_exceeded";
            case UNAUTHORIZED -> "invalid_api_key";
            case OVERLOADED -> "rate_limit_exceeded";
            case NOT_FOUND -> "model_not_found"; // the only thing this API looks up by name is the model
            default -> e.code.wire;
        };
        error(ctx.response(), e.code.httpStatus, e.getMessage(), type, code);
    }

    private static void error(HttpServerResponse response, int status, String message, String type, String code) {
        json(response, status, new OpenAiFormat.ErrorBody(new OpenAiFormat.ErrorDetail(message, type, null, code)));
    }

    static void json(HttpServerResponse response, int status, Object body) {
        if (response.closed() || response.ended()) return;
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Json.buffer(body));
    }
}
