package dev.parley.server;

import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A real server on an ephemeral loopback port serving the real stories260K model. */
final class TestServer implements AutoCloseable {
    final Vertx vertx;
    final ParleyServer server;
    final ServingModel model;
    final int port;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Vertx vertx, ParleyServer server, ServingModel model, int port) {
        this.vertx = vertx;
        this.server = server;
        this.model = model;
        this.port = port;
    }

    static TestServer start(ServerConfig config) {
        var path = Shared.stories260K();
        Vertx vertx = Vertx.vertx();
        ParleyServer server = new ParleyServer(vertx, config);
        int port = server.listen().await();
        ServingModel model = ServingModel.load(path, config.engine(), config.chatTemplate());
        server.serve(model);
        return new TestServer(vertx, server, model, port);
    }

    String url(String path) { return "http://127.0.0.1:" + port + path; }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json, String bearer) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the engine has no running or waiting request (or fails after the timeout). */
    void awaitEngineIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (model.engine().runningCount() + model.engine().waitingCount() > 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("engine still busy after " + timeout);
            Thread.sleep(10);
        }
    }

    @Override public void close() {
        server.shutdown();
        model.close();
        vertx.close().await();
    }
}
