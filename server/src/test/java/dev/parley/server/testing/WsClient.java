package dev.parley.server.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A test WebSocket client on a real socket: frames are queued as JSON objects for the test thread to take. */
public final class WsClient implements AutoCloseable {
    public final WebSocket ws;
    private final WebSocketClient client;
    private final LinkedBlockingQueue<JsonObject> frames;

    private WsClient(WebSocketClient client, WebSocket ws, LinkedBlockingQueue<JsonObject> frames) {
        this.client = client;
        this.ws = ws;
        this.frames = frames;
    }

    public static WsClient connect(Vertx vertx, int port, String uri) {
        return connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri));
    }

    /** With headers or subprotocols of the test's choosing. */
    public static WsClient connect(Vertx vertx, WebSocketConnectOptions options) {
        WebSocketClient client = vertx.createWebSocketClient();
        LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
        // the handler is set before the connection exists, so the hello frame cannot arrive ahead of it (setting it in
        // the connect future's callback lost the hello once in an idle CI run: no frame within 20 s)
        ClientWebSocket socket = client.webSocket();
        socket.textMessageHandler(t -> frames.add(new JsonObject(t)));
        WebSocket ws = socket.connect(options).await();
        return new WsClient(client, ws, frames);
    }

    public void send(JsonObject frame) { ws.writeTextMessage(frame.encode()).await(); }

    public void sendRaw(String text) { ws.writeTextMessage(text).await(); }

    public void sendBinary(byte[] bytes) { ws.writeBinaryMessage(Buffer.buffer(bytes)).await(); }

    public JsonObject next() throws InterruptedException {
        JsonObject f = frames.poll(20, TimeUnit.SECONDS);
        if (f == null) throw new AssertionError("no frame within 20 s");
        return f;
    }

    /** Collects one request's frames up to and including its done or error frame. */
    public Result awaitEnd(String id) throws InterruptedException {
        Result r = new Result();
        while (true) {
            JsonObject f = next();
            if (!id.equals(f.getString("id"))) {
                r.others.append(f.encode()).append('\n');
                continue;
            }
            switch (f.getString("type")) {
                case "started" -> r.started = f;
                case "delta" -> {
                    r.deltas++;
                    r.text.append(f.getString("text"));
                    if (f.getString("reasoning") != null) r.reasoning.append(f.getString("reasoning"));
                    r.lastDelta = f;
                }
                case "done" -> { r.done = f; return r; }
                case "error" -> { r.error = f; return r; }
                default -> throw new AssertionError("unexpected frame " + f);
            }
        }
    }

    public static final class Result {
        public JsonObject started, done, error, lastDelta;
        public int deltas;
        public final StringBuilder text = new StringBuilder();
        /** A reasoning model's thinking, from the deltas' reasoning field. */
        public final StringBuilder reasoning = new StringBuilder();
        public final StringBuilder others = new StringBuilder();
    }

    public boolean isClosed() { return ws.isClosed(); }

    @Override public void close() {
        if (!ws.isClosed()) ws.close().await();
        client.close().await();
    }

    public static Duration seconds(long s) { return Duration.ofSeconds(s); }
}
