package dev.parley.server.ws;

import dev.parley.inference.Version;
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
import dev.parley.server.chat.TemplateKwargs;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.http.Json;
import dev.parley.server.http.ServerMetrics;
import dev.parley.server.model.ChatMessage;
import dev.parley.server.model.ToolCall;
import dev.parley.server.model.ServingModel;
import dev.parley.server.session.Session;
import dev.parley.server.session.SessionIds;
import dev.parley.server.session.SessionStore;
import dev.parley.server.session.SessionStores;
import dev.parley.server.tools.ToolCallChunk;
import dev.parley.server.tools.ToolCallExtractor;
import dev.parley.server.tools.ToolConstraint;
import dev.parley.server.tools.ToolPrompt;
import dev.parley.server.tools.ToolRequest;
import dev.parley.server.ws.WsFrames.ChatParams;
import dev.parley.server.ws.WsFrames.ClientFrame;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One WebSocket connection speaking the chat protocol (server/PROTOCOL.md). Everything here runs on the connection's
 * event-loop context (engine callbacks are hopped onto it by {@link GenerationRun}), so no field needs locking.
 * A bad frame gets an error frame and touches nothing else; closing the socket cancels its requests.
 */
public final class ChatSocket {
    private static final System.Logger LOG = System.getLogger(ChatSocket.class.getName());
    private static final int MAX_ID_LENGTH = 128;

    private final ServerWebSocket ws;
    private final Context context;
    private final ChatService chat;
    private final SessionStore sessions;
    private final ServerConfig config;
    private final Set<ChatSocket> openSockets;
    private final InFlight active;
    private final Tokenizer tokenizer;
    private final Map<String, WsRequest> inFlight = new LinkedHashMap<>();
    /** Request ids waiting for the session store to answer (not yet in flight, but taken). */
    private final Set<String> awaitingSession = new HashSet<>();
    private boolean closed;
    /** The server stopped taking work: this socket closes with 1001 once its last request has ended. */
    private boolean draining;

    public ChatSocket(ServerWebSocket ws, Context context, ChatService chat, SessionStore sessions, ServerConfig config,
               Set<ChatSocket> openSockets, InFlight active) {
        this.ws = ws;
        this.context = context;
        this.chat = chat;
        this.sessions = sessions;
        this.config = config;
        this.openSockets = openSockets;
        this.active = active;
        this.tokenizer = chat.model().model().tokenizer();
    }

    public void start() {
        openSockets.add(this);
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> sendError(null, bad("binary frames are not supported: send JSON text frames")));
        ws.drainHandler(v -> onDrain());
        ws.closeHandler(v -> onClose());
        ws.exceptionHandler(e -> LOG.log(Level.DEBUG, "WebSocket error: " + e));
        ServingModel m = chat.model();
        send(new WsFrames.Hello(m.name(), m.contextLength(), "parley " + Version.get(), m.description()));
    }

    private void onText(String text) {
        long received = System.nanoTime();
        int bytes = utf8Length(text);
        if (bytes > config.http().maxFrameBytes()) {
            sendError(null, bad("frame of " + bytes + " bytes exceeds the limit of " + config.http().maxFrameBytes() + " bytes"));
            return;
        }
        ClientFrame f;
        try {
            f = Json.read(text.getBytes(StandardCharsets.UTF_8), ClientFrame.class);
        } catch (Json.InvalidJson e) {
            sendError(null, bad(e.getMessage()));
            return;
        }
        try {
            if (f.type() == null) throw bad("missing field 'type'");
            switch (f.type()) {
                case "ping" -> send(new WsFrames.Pong());
                case "chat" -> chat(f, text, received);
                case "cancel" -> cancel(f);
                case "regenerate" -> regenerate(f, text, received);
                case "edit" -> edit(f, text, received);
                default -> throw bad("unknown type '" + f.type() + "' (expected chat, cancel, regenerate, edit or ping)");
            }
        } catch (RuntimeException e) {
            sendError(f.id(), ChatErrors.of(e, "internal error"));
        }
    }

    /** {@code text}: the frame as sent, from which {@code params}' constraint fields are read exactly (ResponseFormat). */
    private void chat(ClientFrame f, String text, long received) {
        String id = newRequestId(f);
        if (f.messages() == null || f.messages().isEmpty()) throw bad("chat needs a non-empty 'messages' array");
        for (int i = 0; i < f.messages().size(); i++) Messages.validate(f.messages().get(i), "messages[" + i + "]");
        SamplingParams params = f.params() == null ? ChatParams.defaults() : f.params().toSamplingParams();
        ToolRequest tools = toolsOf(f);
        int n = choicesOf(f);
        withSession(chatSession(f, id), id, session -> {
            List<ChatMessage> conversation = new ArrayList<>(session.history());
            int earlier = conversation.size();
            conversation.addAll(f.messages());
            Messages.validateToolResults(conversation, i -> i < earlier ? "session history[" + i + "]" : "messages[" + (i - earlier) + "]");
            generate(id, session, conversation, params, n, tools, templateKwargsOf(f), f.params(), text, received);
        });
    }

    private void regenerate(ClientFrame f, String text, long received) {
        String id = newRequestId(f);
        SamplingParams params = f.params() == null ? null : f.params().toSamplingParams();
        ToolRequest tools = toolsOf(f);
        int n = choicesOf(f);
        withSession(existingSession(f, id), id, session -> {
            List<ChatMessage> history = session.history();
            if (history.isEmpty() || !history.getLast().role().equals("assistant"))
                throw bad("nothing to regenerate: the session's last message is not an assistant reply");
            generate(id, session, history.subList(0, history.size() - 1), paramsOrLast(params, session), n, tools,
                    templateKwargsOf(f), f.params(), text, received);
        });
    }

    private void edit(ClientFrame f, String text, long received) {
        String id = newRequestId(f);
        if (f.session() == null) throw bad("edit needs 'session'");
        if (f.index() == null) throw bad("edit needs 'index' (the message to replace)");
        if (f.content() == null) throw bad("edit needs 'content' (the new text)");
        SamplingParams params = f.params() == null ? null : f.params().toSamplingParams();
        ToolRequest tools = toolsOf(f);
        int n = choicesOf(f);
        withSession(existingSession(f, id), id, session -> {
            List<ChatMessage> history = session.history();
            int k = f.index();
            if (k < 0 || k >= history.size())
                throw bad("index " + k + " is out of range: the session has " + history.size() + " messages");
            List<ChatMessage> conversation = new ArrayList<>(history.subList(0, k));
            conversation.add(new ChatMessage(history.get(k).role(), f.content()));
            Messages.validateToolResults(conversation, i -> "session history[" + i + "]");
            generate(id, session, conversation, paramsOrLast(params, session), n, tools, templateKwargsOf(f), f.params(), text,
                    received);
        });
    }

    /**
     * Continues with the session, reserved for request {@code id}, once the store answers (a shared store answers over
     * the network: the event loop is not held meanwhile). A store failure is this request's error frame; so is a
     * refusal thrown by {@code then}, sent once the reservation is released.
     */
    private void withSession(Future<Session> lookup, String id, Consumer<Session> then) {
        awaitingSession.add(id);
        active.begin();
        lookup.onComplete(ar -> onContext(() -> {
            awaitingSession.remove(id);
            if (ar.failed()) {
                sendError(id, ChatErrors.of(ar.cause(), "session lookup failed"));
                requestEnded();
                return;
            }
            Session session = ar.result();
            if (gone()) { // nobody to answer
                sessions.release(session, id, false).onComplete(x -> onContext(this::requestEnded));
                return;
            }
            try {
                then.accept(session);
            } catch (RuntimeException e) {
                ChatException refusal = ChatErrors.of(e, "internal error");
                sessions.release(session, id, false).onComplete(x -> onContext(() -> {
                    sendError(id, refusal);
                    requestEnded();
                }));
            }
        }));
    }

    /** A request's last frame went out (or nobody is left to receive it). */
    private void requestEnded() {
        active.end();
        closeIfDrained();
    }

    /** The server stopped taking work (shutdown): close now if idle, else after the last request's end. */
    public void drain() {
        onContext(() -> {
            draining = true;
            closeIfDrained();
        });
    }

    /** The drain timed out: close now, which cancels whatever still runs. */
    public void goAway() {
        onContext(() -> {
            if (!gone()) ws.close((short) 1001, "server shutting down");
        });
    }

    private void closeIfDrained() {
        if (draining && inFlight.isEmpty() && awaitingSession.isEmpty() && !gone()) ws.close((short) 1001, "server shutting down");
    }

    /** Refused before touching the store: the socket is about to be closed as going away. */
    private void refuseWhileDraining() {
        if (draining || !chat.accepting())
            throw new ChatException(ErrorCode.OVERLOADED, "the server is shutting down: reconnect", ChatService.RETRY_AFTER_MS);
    }

    /** Store callbacks may arrive on another thread; this socket's state is only touched on its own context. */
    private void onContext(Runnable r) {
        if (Vertx.currentContext() == context) r.run();
        else context.runOnContext(v -> r.run());
    }

    private void cancel(ClientFrame f) {
        if (f.id() == null) throw bad("cancel needs 'id' (the request to cancel)");
        WsRequest r = inFlight.get(f.id());
        if (r == null) throw new ChatException(ErrorCode.NOT_FOUND, "no request '" + f.id() + "' in flight on this socket");
        r.cancel();
    }

    /** The tools of a frame's params (each request offers its own; none when absent). */
    private static Map<String, Object> templateKwargsOf(ClientFrame f) {
        return TemplateKwargs.check(f.params() == null ? null : f.params().chatTemplateKwargs(), "params.chat_template_kwargs");
    }

    /** How many answers the frame asks for ({@code params.n}, 1 by default); like sampling settings, not kept by the session. */
    private static int choicesOf(ClientFrame f) {
        return ChatService.choices(f.params() == null ? null : f.params().n(), "params.n");
    }

    private static ToolRequest toolsOf(ClientFrame f) {
        return f.params() == null ? ToolRequest.NONE : f.params().toolRequest();
    }

    /**
     * Formats and compiles the frame's constraint (params.response_format, grammar, ...) off the event loop, then
     * admits to the engine; the session must already be reserved for {@code id}. The constraint belongs to the frame:
     * a regenerate or edit without params reuses the last sampling settings, not the grammar.
     */
    private void generate(String id, Session session, List<ChatMessage> conversation, SamplingParams params, int n, ToolRequest tools,
                          Map<String, Object> templateKwargs, ChatParams frameParams, String frame, long received) {
        // params.adapter picks the LoRA adapter (the base's name or "" the base); without it the session keeps its own
        String requested = frameParams == null ? null : frameParams.adapter();
        String adapter = requested == null ? session.adapter() : chat.adapterFor(requested, "params.adapter", false);
        WsRequest req = new WsRequest(id, session, params.logprobs(), received, n, () -> ToolCallExtractor.forReply(chat.model(), tools));
        inFlight.put(id, req);
        List<ChatMessage> turn = List.copyOf(conversation);
        Future<int[]> formatted = chat.chatPrompt(f -> ToolPrompt.promptTokens(f.withTemplateKwargs(templateKwargs), turn, tools));
        Future<TokenConstraint> constraint = ToolConstraint.of(chat, tools, chat.requestedConstraint(frame, "params"));
        Future.all(formatted, constraint).onComplete(ar -> {
            if (req.cancelled) { // cancelled (or the socket closed) while the prompt was being formatted
                req.end(false, ok -> {
                    for (WsAnswer answer : req.answers) {
                        send(new WsFrames.Done(id, answer.wireIndex(), "cancelled", new WsFrames.Usage(0, 0, 0), new WsFrames.Timings(null, 0)));
                    }
                });
                return;
            }
            try {
                if (ar.failed()) throw ar.cause();
                int[] prompt = formatted.result();
                req.promptTokens = prompt.length;
                for (WsAnswer answer : req.answers) answer.reasoning = chat.reasoningSplitter(prompt);
                req.run = chat.start(prompt, params, constraint.result(), adapter, context, req.answers);
                session.commit(turn, params, adapter); // `started` follows when the engine admits it (WsRequest.admitted)
            } catch (Throwable e) {
                ChatException refusal = ChatErrors.of(e, "internal error");
                req.end(false, ok -> sendError(id, refusal));
            }
        });
    }

    private String newRequestId(ClientFrame f) {
        String id = f.id();
        if (id == null || id.isEmpty()) throw bad(f.type() + " needs a non-empty 'id' (your request id)");
        if (id.length() > MAX_ID_LENGTH) throw bad("'id' is longer than " + MAX_ID_LENGTH + " characters");
        if (inFlight.containsKey(id) || awaitingSession.contains(id)) throw bad("request id '" + id + "' is already in flight on this "
                + "socket");
        return id;
    }

    /**
     * A chat's session: a new one with a server-assigned id, the named one, or with {@code create_session} the named one
     * created if it does not exist yet. Only an explicit flag creates: a client resuming a session that expired must
     * learn so ({@code not_found}) rather than silently continue an empty conversation. Checks come before the store is
     * touched.
     */
    private Future<Session> chatSession(ClientFrame f, String id) {
        boolean create = Boolean.TRUE.equals(f.createSession());
        if (create && f.session() == null) throw bad("create_session needs 'session': the id you propose for the new session");
        String proposed = create ? SessionIds.requireProposable(f.session()) : null;
        refuseWhileDraining();
        if (create) return sessions.reserveOrCreate(proposed, id);
        if (f.session() == null) return sessions.create(id);
        if (!SessionIds.couldExist(f.session())) throw SessionStores.notFound(f.session());
        return sessions.reserve(f.session(), id);
    }

    private Future<Session> existingSession(ClientFrame f, String id) {
        if (f.session() == null) throw bad(f.type() + " needs 'session'");
        if (f.createSession() != null) throw bad("create_session is only for chat: " + f.type() + " works on an existing session");
        refuseWhileDraining();
        if (!SessionIds.couldExist(f.session())) throw SessionStores.notFound(f.session());
        return sessions.reserve(f.session(), id);
    }

    private static SamplingParams paramsOrLast(SamplingParams given, Session session) {
        if (given != null) return given;
        SamplingParams last = session.lastParams();
        return last != null ? last : ChatParams.defaults();
    }

    /** The socket is writable again: each reply sends what piled up meanwhile. */
    private void onDrain() {
        for (WsRequest r : List.copyOf(inFlight.values())) r.answers.forEach(answer -> answer.reply.drained());
    }

    private void onClose() {
        closed = true;
        openSockets.remove(this);
        // generation must not run on for a client that left; the engine stops them at its next step
        for (WsRequest r : inFlight.values()) {
            r.answers.forEach(answer -> answer.reply.close());
            r.cancel();
        }
    }

    /** The client sent its close frame (closeHandler fires later, when the TCP connection ends) or the socket is gone. */
    private boolean gone() {
        return closed || ws.isClosed();
    }

    private void send(Object frame) {
        if (gone()) return;
        ws.writeTextMessage(Json.write(frame));
    }

    private void sendError(String id, ChatException e) {
        send(new WsFrames.Error(id, e));
    }

    private static ChatException bad(String message) {
        return new ChatException(ErrorCode.BAD_REQUEST, message);
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }

    /**
     * One request on this socket: its answers (n of them, 1 unless {@code params.n} asks for more) stream delta frames
     * as fast as the client reads them. The request ends when every answer has: the session is saved with answer
     * 0 as the assistant's turn, then each answer's {@code done} frame goes out, in index order.
     */
    private final class WsRequest {
        final String id;
        final Session session;
        final int logprobs;
        /** System.nanoTime() when the client's frame arrived: queue_ms counts from here. */
        final long receivedNanos;
        final List<WsAnswer> answers;
        GenerationRun run;
        int promptTokens;
        boolean cancelled;
        /** The done frames of the answers that ended, by index; sent together once all have. */
        private final WsFrames.Done[] dones;
        private int ended;
        /** An answer failed: the request ended with the error, and the others' ends are ignored. */
        private boolean failed;

        WsRequest(String id, Session session, int logprobs, long receivedNanos, int n, Supplier<ToolCallExtractor> tools) {
            this.id = id;
            this.session = session;
            this.logprobs = logprobs;
            this.receivedNanos = receivedNanos;
            List<WsAnswer> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) list.add(new WsAnswer(this, n == 1 ? null : i, tools.get()));
            this.answers = List.copyOf(list);
            this.dones = new WsFrames.Done[n];
        }

        void admitted(int cachedTokens, long submittedNanos, long queueNanos) {
            long queueMs = (submittedNanos + queueNanos - receivedNanos) / 1_000_000;
            send(new WsFrames.Started(id, session.id(), promptTokens, cachedTokens, queueMs));
        }

        void cancel() {
            cancelled = true;
            if (run != null) run.cancel();
        }

        /**
         * The request is over: frees its session (saving the turn first when asked), then sends its last frame,
         * so a client told may go on with the session at once, on any server. {@code last} learns whether the save
         * (if any) succeeded.
         */
        void end(boolean save, Consumer<AsyncResult<Void>> last) {
            sessions.release(session, id, save).onComplete(ar -> onContext(() -> {
                inFlight.remove(id);
                last.accept(ar);
                requestEnded();
            }));
        }

        /** An answer ended with {@code done}; after the last one the turn is saved and every done frame sent. */
        void answerEnded(WsAnswer answer, WsFrames.Done done) {
            if (failed) return;
            dones[answer.index()] = done;
            if (++ended < dones.length) return;
            // `done` acknowledges the turn, so it goes out only once the turn is saved: a replica going away after it
            // loses nothing the client was told about. The session stays reserved until then.
            end(true, ar -> {
                if (ar.succeeded()) for (WsFrames.Done d : dones) send(d);
                else sendError(id, ChatErrors.of(ar.cause(), "saving the turn failed"));
            });
        }

        void failed(RuntimeException error) {
            LOG.log(Level.WARNING, "request " + id + " failed in the engine", error);
            if (failed) return;
            failed = true;
            answers.forEach(answer -> answer.reply.finish());
            if (run != null) run.cancel(); // the other answers
            // the committed turn (without a reply) is kept, as a single server keeps it; best effort
            end(true, ar -> {
                if (ar.failed()) LOG.log(Level.INFO, "request " + id + ": saving the session failed: " + ar.cause().getMessage());
                sendError(id, new ChatException(ErrorCode.INTERNAL, "generation failed: " + error.getMessage()));
            });
        }
    }

    /** One answer of a request: its reply stream, thinking splitter and tool-call extractor, and its index on frames. */
    private final class WsAnswer implements GenerationRun.Sink, ReplyStream.Transport {
        final WsRequest request;
        final String id;
        /** Its place among the request's answers, on every frame; null for a request of one answer (frames unchanged). */
        private final Integer index;
        final ReplyStream reply;
        /** Separates tool calls from the text when the request offered tools; else null. */
        final ToolCallExtractor tools;
        /** Separates a reasoning model's thinking from its answer (set once the prompt is known); else null. */
        ReasoningSplitter reasoning;

        WsAnswer(WsRequest request, Integer index, ToolCallExtractor tools) {
            this.request = request;
            this.id = request.id;
            this.index = index;
            this.tools = tools;
            this.reply = new ReplyStream(context.owner(), this, config.streaming(), request.logprobs > 0, request::cancel,
                    "request " + id + (index == null ? "" : "/" + index));
        }

        int index() { return index == null ? 0 : index; }

        Integer wireIndex() { return index; }

        @Override public void admitted(int cachedTokens, long submittedNanos, long queueNanos) {
            if (index() == 0) request.admitted(cachedTokens, submittedNanos, queueNanos); // one started per request
        }

        @Override public void token(TokenEvent e) { reply.token(e); }

        @Override public boolean writeQueueFull() { return ws.writeQueueFull(); }

        @Override public boolean closed() { return gone(); }

        @Override public void write(String text, List<TokenLogprobs> tokens) {
            if (reasoning == null) writeAnswer(text, tokens);
            else writeSplit(reasoning.accept(text), tokens);
        }

        /** Thinking as the reasoning of delta frames, the answer as their text (the first with the tokens' logprobs). */
        private void writeSplit(List<ReasoningSplitter.Piece> pieces, List<TokenLogprobs> tokens) {
            for (ReasoningSplitter.Piece piece : pieces) {
                switch (piece) {
                    case ReasoningSplitter.Reasoning thinking -> send(WsFrames.Delta.reasoning(id, index, thinking.text(),
                            tokens == null ? null : tokens.stream().map(this::tokenInfo).toList()));
                    case ReasoningSplitter.Content answer -> writeAnswer(answer.text(), tokens);
                }
                tokens = null;
            }
        }

        /** The answer's text: through the tool-call extractor when the request offered tools. */
        private void writeAnswer(String text, List<TokenLogprobs> tokens) {
            if (tools != null) {
                writePieces(tools.accept(text), tokens);
                return;
            }
            send(new WsFrames.Delta(id, index, text, tokens == null ? null : tokens.stream().map(this::tokenInfo).toList()));
        }

        /** Content as text deltas (the first with the tokens' logprobs), call pieces as tool_calls deltas. */
        private void writePieces(List<ToolCallExtractor.Piece> pieces, List<TokenLogprobs> tokens) {
            for (ToolCallExtractor.Piece piece : pieces) {
                switch (piece) {
                    case ToolCallExtractor.Content content -> {
                        send(new WsFrames.Delta(id, index, content.text(), tokens == null ? null : tokens.stream().map(this::tokenInfo).toList()));
                        tokens = null;
                    }
                    case ToolCallExtractor.CallPiece call -> send(new WsFrames.Delta(id, index, ToolCallChunk.of(call)));
                }
            }
        }

        @Override public void completed(Completion c) {
            reply.finish();
            if (reasoning != null) writeSplit(reasoning.finish(), null);
            String finishReason = ServerMetrics.wireName(c.finishReason());
            List<ToolCall> calls = null;
            if (tools != null) {
                writePieces(tools.finish(), null);
                if (!tools.calls().isEmpty()) {
                    calls = tools.calls();
                    if (finishReason.equals("stop")) finishReason = "tool_calls";
                }
            }
            // what the client saw of answer 0 becomes the assistant's turn (a cancelled reply keeps its partial text)
            if (index() == 0) {
                if (calls != null) request.session.appendAssistant(new ChatMessage("assistant",
                        tools.content().isBlank() ? null : tools.content(), calls, null));
                else if (c.finishReason() != FinishReason.CANCELLED || !c.text().isEmpty()) request.session.appendAssistant(c.text());
            }
            long ttft = c.timeToFirstTokenNanos();
            request.answerEnded(this, new WsFrames.Done("done", id, index, finishReason,
                    new WsFrames.Usage(c.promptTokens(), c.generatedTokens().length, c.cachedTokens()),
                    new WsFrames.Timings(ttft < 0 ? null : ttft / 1e6, ChatService.decodeTokensPerSecond(c)), calls));
        }

        @Override public void failed(RuntimeException error) {
            request.failed(error);
        }

        private WsFrames.TokenInfo tokenInfo(TokenLogprobs lp) {
            List<WsFrames.TopToken> top = new ArrayList<>(lp.topIds().length);
            for (int i = 0; i < lp.topIds().length; i++) top.add(new WsFrames.TopToken(pieceText(lp.topIds()[i]), lp.topLogprobs()[i]));
            return new WsFrames.TokenInfo(pieceText(lp.token()), lp.logprob(), top);
        }
    }

    private String pieceText(int token) {
        return new String(tokenizer.pieceBytes(token), StandardCharsets.UTF_8);
    }
}
