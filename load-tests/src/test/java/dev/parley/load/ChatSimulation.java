package dev.parley.load;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

import io.gatling.http.action.sse.SseInboundMessage;
import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ClosedInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Parley under load: WebSocket chat (multi-turn sessions, a share of users who cancel mid-stream) and OpenAI SSE
 * streaming, in a closed-model concurrency sweep or open-model Poisson arrivals. Each request's timings go to the
 * {@link Recorder}; {@link #after()} writes summary.json / summary.md and the SLO verdict that run.sh acts on.
 * Beside the Gatling users, an optional population of {@link SlowReaders} reads its replies at a trickle.
 */
public class ChatSimulation extends Simulation {
    static final LoadConfig CONFIG = LoadConfig.fromSystemProperties();

    /** Matches a server frame by its type, which the server always writes first. */
    private static final String TYPE = "^\\{\"type\":\"(?:%s)\"";
    /** How often a virtual user drains Gatling's buffer of received frames while a reply streams. */
    private static final long POLL_MS = 20;

    private final long startMs = System.currentTimeMillis();
    /** Started with the Gatling users, on threads of their own; null when the run has no slow readers. */
    private SlowReaders slowReaders;

    private final HttpProtocolBuilder protocol = http.baseUrl(CONFIG.baseUrl()).wsBaseUrl(CONFIG.wsUrl())
            .acceptHeader("text/event-stream").contentTypeHeader("application/json")
            // Frames that no check waits for (started, every delta) are dropped unless buffered; the buffer is where
            // the per-token timings come from, so it must hold a whole reply (one delta per token at most).
            .wsUnmatchedInboundMessageBufferSize(CONFIG.maxTokens() + 64)
            .sseUnmatchedInboundMessageBufferSize(CONFIG.maxTokens() + 64);

    // ---- WebSocket ----------------------------------------------------------------------------------------------

    private final ChainBuilder wsConnect = exec(ws("connect").connect("/v1/chat/ws")
            .await(CONFIG.requestTimeout()).on(ws.checkTextMessage("hello").matching(substring("\"type\":\"hello\""))))
            .exec(session -> {
                if (session.isFailed()) Recorder.add(RequestSample.error("ws", levelNow(), System.currentTimeMillis(), "connect failed"));
                return session;
            })
            .exitHereIfFailed();

    /**
     * One turn. Gatling drops frames that arrive while a check waits and do not match it, so the checks only wait for
     * {@code started} (Gatling's "accepted" time) and the first delta (its response time is then the TTFT); every
     * later frame lands in the unmatched-message buffer with its arrival time, which {@link #collectUntilEnd} drains.
     */
    private final ChainBuilder wsTurn = exec(session -> {
                String id = "r" + session.userId() + "-" + session.getInt("turn");
                String prompt = Prompts.prompt(session.userId() * 7L + session.getInt("turn"), CONFIG.promptWords());
                return startRequest(session, id).set("frame", Frames.chat(id, session.getString("session"), prompt, CONFIG));
            })
            .exec(ws("chat").sendText("#{frame}").await(CONFIG.requestTimeout()).on(
                    ws.checkTextMessage("accepted").matching(regex(TYPE.formatted("started|error")))
                            .check(bodyString().transform(Frames::stamped).saveAs("first")),
                    ws.checkTextMessage("first token").matching(regex(TYPE.formatted("delta|done|error")))
                            .check(bodyString().transform(Frames::stamped).saveAs("second"))))
            .exec(collectUntilEnd(ws.processUnmatchedMessages((messages, session) -> collectWs(messages, session))))
            .exec(session -> recordWsTurn(session, false))
            .exitHereIfFailed();

    /** A user who stops reading: cancel once the first delta arrives, then expect the done frame saying so. */
    private final ChainBuilder wsCancelledTurn = exec(session -> {
                String id = "c" + session.userId();
                return startRequest(session, id).set("turn", 0)
                        .set("frame", Frames.chat(id, null, Prompts.prompt(session.userId(), CONFIG.promptWords()), CONFIG))
                        .set("cancelFrame", Frames.cancel(id));
            })
            .exec(ws("chat (to cancel)").sendText("#{frame}").await(CONFIG.requestTimeout()).on(
                    ws.checkTextMessage("first token").matching(regex(TYPE.formatted("delta|done|error")))
                            .check(bodyString().transform(Frames::stamped).saveAs("first"))))
            // If the request already ended (output shorter than one round trip), the cancel gets a not_found error.
            .exec(ws("cancel").sendText("#{cancelFrame}"))
            .exec(collectUntilEnd(ws.processUnmatchedMessages((messages, session) -> collectWs(messages, session))))
            .exec(session -> recordWsTurn(session, true));

    private final ScenarioBuilder wsChat = scenario("websocket chat")
            .exec(wsConnect)
            .doIfOrElse(this::isCancellingUser)
            .then(exec(wsCancelledTurn))
            .orElse(repeat(CONFIG.turns(), "turn").on(exec(wsTurn)))
            .exec(ws("close").close());

    // ---- OpenAI SSE ---------------------------------------------------------------------------------------------

    private final ScenarioBuilder sseChat = scenario("openai sse")
            .exec(session -> startRequest(session, "sse")
                    .set("body", Frames.openAiRequest(Prompts.prompt(session.userId() * 5L, CONFIG.promptWords()), CONFIG)))
            .exec(sse("chat completion").post("/v1/chat/completions").body(StringBody("#{body}"))
                    .await(CONFIG.requestTimeout()).on(sse.checkMessage("first chunk")
                            .check(bodyString().transform(Frames::stamped).saveAs("first"))))
            .exec(collectUntilEnd(sse.processUnmatchedMessages((messages, session) -> collect(session,
                    messages.stream().map(m -> new Frames.Received(m.timestamp(), m.message())).toList(), Frames::endsSse))))
            .exec(session -> recordSse(session))
            .exec(sse("close").close());

    /** Drains the unmatched-message buffer every few ms until the request's end arrives or it times out. */
    private static ChainBuilder collectUntilEnd(io.gatling.javaapi.core.ActionBuilder drain) {
        // Polling costs a little CPU but no accuracy: every message keeps the timestamp of its arrival.
        return asLongAs(session -> !session.getBoolean("ended") && !session.isFailed()
                && System.currentTimeMillis() - session.getLong("sentMs") < CONFIG.requestTimeout().toMillis())
                .on(pause(Duration.ofMillis(POLL_MS)).exec(drain));
    }

    private static Session startRequest(Session session, String id) {
        return session.remove("first").remove("second").set("id", id).set("frames", List.of()).set("ended", false)
                .set("sentMs", System.currentTimeMillis());
    }

    private static Session collectWs(List<WsInboundMessage> messages, Session session) {
        String id = session.getString("id");
        return collect(session, messages.stream().filter(m -> m instanceof WsInboundMessage.Text)
                .map(m -> new Frames.Received(m.timestamp(), ((WsInboundMessage.Text) m).message())).toList(),
                text -> Frames.endsWs(id, text));
    }

    private static Session collect(Session session, List<Frames.Received> arrived, java.util.function.Predicate<String> isEnd) {
        List<Frames.Received> frames = new ArrayList<>(session.<List<Frames.Received>>get("frames"));
        frames.addAll(arrived);
        boolean ended = session.getBoolean("ended") || arrived.stream().anyMatch(r -> isEnd.test(r.text()));
        return session.set("frames", List.copyOf(frames)).set("ended", ended);
    }

    /** Every frame of the request: those the checks consumed (stamped on arrival) and those drained from the buffer. */
    private static List<Frames.Received> allFrames(Session session) {
        List<Frames.Received> all = new ArrayList<>(session.<List<Frames.Received>>get("frames"));
        for (String key : List.of("first", "second")) {
            if (session.contains(key)) all.add(Frames.Received.fromStamped(session.getString(key)));
        }
        return all;
    }

    {
        List<PopulationBuilder> populations = new ArrayList<>();
        boolean both = CONFIG.api().equals("both");
        if (both || CONFIG.api().equals("ws")) populations.add(inject(wsChat, both ? 0 : -1));
        if (both || CONFIG.api().equals("sse")) populations.add(inject(sseChat, both ? 1 : -1));
        if (populations.isEmpty()) throw new IllegalArgumentException("api must be ws, sse or both, not " + CONFIG.api());
        setUp(populations).protocols(protocol).maxDuration(CONFIG.loadDuration().plus(CONFIG.requestTimeout()));
    }

    /**
     * @param half -1 when this scenario gets all users; 0 or 1 when two scenarios share each level, which then gives
     *             the first scenario the larger half (a level of 1 user runs only that one).
     */
    private PopulationBuilder inject(ScenarioBuilder scenario, int half) {
        if (CONFIG.closedModel()) {
            List<ClosedInjectionStep> steps = new ArrayList<>();
            for (int level : CONFIG.levels()) {
                int users = half < 0 ? level : half == 0 ? (level + 1) / 2 : level / 2;
                steps.add(constantConcurrentUsers(users).during(CONFIG.step()));
            }
            return scenario.injectClosed(steps);
        }
        // Gatling's randomized constant rate spreads arrivals uniformly at random over the run: for a given count
        // that is exactly a Poisson process's arrival pattern.
        double rate = half < 0 ? CONFIG.arrivalsPerS() : CONFIG.arrivalsPerS() / 2;
        return scenario.injectOpen(constantUsersPerSec(rate).during(CONFIG.openDuration()).randomized());
    }

    private int levelNow() {
        return levelAt(System.currentTimeMillis());
    }

    /** Which sweep level was running at a time (closed model), by the schedule; 0 for open-model runs. */
    private int levelAt(long ms) {
        if (!CONFIG.closedModel()) return 0;
        int step = (int) (Math.max(0, ms - startMs) / CONFIG.step().toMillis());
        return CONFIG.levels().get(Math.min(step, CONFIG.levels().size() - 1));
    }

    private boolean isCancellingUser(Session session) {
        if (CONFIG.cancelShare() <= 0) return false;
        long every = Math.max(1, Math.round(1 / CONFIG.cancelShare()));
        return session.userId() % every == 1 % every; // user 1 is one of them, so even a short smoke run cancels
    }

    private Session recordWsTurn(Session session, boolean cancelling) {
        long sentMs = session.getLong("sentMs");
        int level = levelAt(sentMs);
        Frames.WsOutcome out = Frames.readWs(session.getString("id"), allFrames(session));
        boolean cancelRaced = cancelling && "not_found".equals(out.errorCode());
        if (out.endType() == null || ("error".equals(out.endType()) && !cancelRaced)) {
            String why = out.errorCode() != null ? out.errorCode() + ": " + out.errorMessage() : out.errorMessage();
            Recorder.add(RequestSample.error("ws", level, sentMs, why));
            return session.markAsFailed();
        }
        RequestSample.Outcome outcome = cancelling ? RequestSample.Outcome.CANCELLED : RequestSample.Outcome.OK;
        Recorder.add(new RequestSample("ws", level, outcome, sentMs, out.deltaMs(), out.endMs(), out.completionTokens(), null));
        return out.session() == null ? session : session.set("session", out.session());
    }

    private Session recordSse(Session session) {
        long sentMs = session.getLong("sentMs");
        Frames.SseOutcome out = Frames.readSse(allFrames(session));
        if (session.isFailed() || out.error() != null) {
            Recorder.add(RequestSample.error("sse", levelAt(sentMs), sentMs, out.error() == null ? "stream failed" : out.error()));
            return session.markAsFailed();
        }
        Recorder.add(new RequestSample("sse", levelAt(sentMs), RequestSample.Outcome.OK, sentMs, out.deltaMs(), out.endMs(), out.completionTokens(), null));
        return session;
    }

    @Override
    public void before() {
        if (CONFIG.slowReaders().connections() > 0) slowReaders = SlowReaders.start(CONFIG);
    }

    @Override
    public void after() {
        // Every Gatling user is done by now, so the slow readers' fast drain can no longer disturb a measurement.
        SlowReaderSummary slow = slowReaders == null ? SlowReaderSummary.NONE
                : SlowReaderSummary.of(CONFIG.slowReaders(), slowReaders.finish(CONFIG.requestTimeout()));
        RunReport.write(CONFIG, Recorder.snapshot(), slow);
    }
}
