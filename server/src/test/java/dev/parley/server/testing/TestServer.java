package dev.parley.server.testing;

import dev.parley.inference.model.DefaultModel;
import dev.parley.inference.testing.Shared;
import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ServingModel;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The one in-process server harness: a real Parley server on an ephemeral loopback port serving a real model
 * (stories260K from the shared reference data, or the built-in demo model), with the APIs and the browser UI.
 */
public final class TestServer implements AutoCloseable {
    public final Vertx vertx;
    public final ParleyServer server;
    public final ServingModel model;
    public final int port;
    public final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Vertx vertx, ParleyServer server, ServingModel model, int port) {
        this.vertx = vertx;
        this.server = server;
        this.model = model;
        this.port = port;
    }

    /** Serves stories260K. */
    public static TestServer start(ServerConfig config) {
        return start(config, Shared.stories260K(), null, null);
    }

    /** Serves a model file of the test's choosing (e.g. an oracle model with a real vocabulary). */
    public static TestServer start(ServerConfig config, Path modelFile) {
        return start(config, modelFile, null, null);
    }

    /** The built-in demo model, named and described as `parley serve` without --model does. */
    public static TestServer startBuiltIn(ServerConfig config) {
        return start(config, DefaultModel.path(), DefaultModel.NAME, DefaultModel.DESCRIPTION);
    }

    /** Serves {@code modelFile} with {@code chatTemplate} (Jinja source) in place of the model's own template. */
    public static TestServer start(ServerConfig config, Path modelFile, String chatTemplate) {
        return start(config, modelFile, new ServingModel.Options().chatTemplate(chatTemplate));
    }

    private static TestServer start(ServerConfig config, Path modelFile, String name, String description) {
        return start(config, modelFile, new ServingModel.Options().name(name).description(description));
    }

    /** Serves {@code modelFile} with {@code options} (their engine settings replaced by the config's). */
    public static TestServer start(ServerConfig config, Path modelFile, ServingModel.Options options) {
        Vertx vertx = Vertx.vertx();
        ParleyServer server = new ParleyServer(vertx, config);
        int port = server.listen().await();
        ServingModel model = ServingModel.load(modelFile, options.engine(config.engine()));
        server.serve(model);
        return new TestServer(vertx, server, model, port);
    }

    public String url(String path) { return "http://127.0.0.1:" + port + path; }

    public HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url(path))).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String json, String bearer) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(url(path))).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the engine has no running or waiting request (or fails after the timeout). */
    public void awaitEngineIdle(Duration timeout) throws InterruptedException {
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
