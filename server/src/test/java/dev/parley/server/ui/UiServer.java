package dev.parley.server.ui;

import dev.parley.inference.model.DefaultModel;
import dev.parley.server.ParleyServer;
import dev.parley.server.ServerConfig;
import dev.parley.server.Shared;
import dev.parley.server.ServingModel;
import io.vertx.core.Vertx;
import java.nio.file.Path;

/** A real Parley server on an ephemeral loopback port serving the real stories260K model, with the UI at {@code /}. */
final class UiServer implements AutoCloseable {
    private final Vertx vertx;
    private final ParleyServer server;
    private final ServingModel model;
    final int port;

    private UiServer(Vertx vertx, ParleyServer server, ServingModel model, int port) {
        this.vertx = vertx;
        this.server = server;
        this.model = model;
        this.port = port;
    }

    static UiServer start(ServerConfig config) {
        return start(config, Shared.stories260K(), null, null);
    }

    /** The built-in demo model, named and described as `parley serve` without --model does. */
    static UiServer startBuiltIn(ServerConfig config) {
        return start(config, DefaultModel.path(), DefaultModel.NAME, DefaultModel.DESCRIPTION);
    }

    private static UiServer start(ServerConfig config, Path modelFile, String name, String description) {
        Vertx vertx = Vertx.vertx();
        ParleyServer server = new ParleyServer(vertx, config);
        int port = server.listen().await();
        ServingModel model = ServingModel.load(modelFile, config.engine(), config.chatTemplate(), name, description);
        server.serve(model);
        return new UiServer(vertx, server, model, port);
    }

    String url() { return "http://127.0.0.1:" + port + "/"; }

    @Override public void close() {
        server.shutdown();
        model.close();
        vertx.close().await();
    }
}
