package dev.parley.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
    /** The README's first command: `parley serve` with no model serves the built-in one, in a real process. */
    @Test void withoutModelServesTheBuiltInModel(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("serve.log");
        int port;
        try (var probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), "serve", "--port", String.valueOf(port), "--warmup", "2")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long started = System.nanoTime();
        try {
            HttpClient http = HttpClient.newHttpClient();
            URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
            long deadline = System.nanoTime() + 60_000_000_000L;
            int status = 0;
            while (System.nanoTime() < deadline && status != 200) {
                try {
                    status = http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
                } catch (java.io.IOException notYet) {
                    // not listening yet
                }
                if (status != 200) Thread.sleep(200);
            }
            assertEquals(200, status, "ready within a minute");
            // readiness waited for the kernels' warm-up (the built-in model itself loads in well under a second)
            assertTrue(System.nanoTime() - started >= 2_000_000_000L, "ready only after the 2 s warm-up");
            assertTrue(Files.readString(log).contains("warmed up its kernels for 2.0 s"), Files.readString(log));
            String models = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(models.contains("parley-kjv"), models);
        } finally {
            p.destroy(); // SIGTERM: graceful shutdown
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits after SIGTERM");
        }
    }

    @Test void helpDocumentsEnvironmentVariables() {
        String usage = ServerMain.commandLine().getSubcommands().get("serve").getUsageMessage();
        for (String s : new String[] {"--model", "--port", "--api-key-file", "PARLEY_PORT", "PARLEY_MODEL", "8080"})
            assertTrue(usage.contains(s), "help lacks " + s);
    }

    @Test void badLoraAdaptersStopServeWithOneLine() {
        String model = dev.parley.inference.testing.Shared.stories260K().toString();
        assertOneLineError("--lora nameonly: expected NAME=ADAPTER.gguf", "serve", "--model", model, "--port", "0", "--warmup", "0",
                "--lora", "nameonly");
        assertOneLineError("--lora a=/nonexistent/a.gguf: adapter file not found: /nonexistent/a.gguf", "serve", "--model", model,
                "--port", "0", "--warmup", "0", "--lora", "a=/nonexistent/a.gguf");
        assertOneLineError(model + ": not a LoRA adapter: general.type is missing, expected 'adapter'", "serve", "--model", model,
                "--port", "0", "--warmup", "0", "--lora", "a=" + model);
        assertTrue(ServerMain.commandLine().getSubcommands().get("serve").getUsageMessage().contains("--lora=NAME=ADAPTER.gguf"));
    }

    private static void assertOneLineError(String message, String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        var cmd = ServerMain.commandLine();
        cmd.setErr(new java.io.PrintWriter(err));
        assertEquals(2, cmd.execute(args), err.toString());
        String last = err.toString().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.endsWith(message), err.toString());
        assertTrue(last.startsWith("parley"), err.toString());
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
