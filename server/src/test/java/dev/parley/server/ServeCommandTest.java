package dev.parley.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class ServeCommandTest {
    @Test void withoutModelExitsTwoAndSaysWhatToPass() {
        var cli = ServerMain.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        cli.getSubcommands().get("serve").setErr(new PrintWriter(err));
        int rc = cli.execute("serve");
        assertEquals(2, rc);
        assertTrue(err.toString().contains("--model PATH"), err.toString());
    }

    @Test void helpDocumentsEnvironmentVariables() {
        String usage = ServerMain.commandLine().getSubcommands().get("serve").getUsageMessage();
        for (String s : new String[] {"--model", "--port", "--api-key-file", "PARLEY_PORT", "PARLEY_MODEL", "8080"})
            assertTrue(usage.contains(s), "help lacks " + s);
    }

    @Test void liveBeforeTheModelLoadsButNotReady() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            ParleyServer server = new ParleyServer(vertx, ServerConfig.forTests());
            int port = server.listen().await();
            HttpClient http = HttpClient.newHttpClient();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(503, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(503, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            server.shutdown();
        } finally {
            vertx.close().await();
        }
    }
}
