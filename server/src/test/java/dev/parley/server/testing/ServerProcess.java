package dev.parley.server.testing;

import dev.parley.server.cli.ServerMain;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code parley serve} in its own JVM, started from the server's main class as a container would start it, with its
 * output in a log file (shown when an assertion needs it). {@link #terminate} sends SIGTERM, as Kubernetes does.
 * Each process sees one CPU ({@code -XX:ActiveProcessorCount=1}), like a pod with {@code cpu: 1}.
 */
public final class ServerProcess implements AutoCloseable {
    public final int port;
    public final Process process;
    public final Path log;

    private ServerProcess(int port, Process process, Path log) {
        this.port = port;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code parley serve --port <free> ARGS...}; call {@link #awaitReady} before use. */
    public static ServerProcess start(String... serveArgs) throws IOException {
        int port = RedisServer.freePort();
        Path log = Files.createTempFile("parley-serve-" + port + "-", ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // one core each, as a replica with a CPU limit of 1 sees it: two replicas' spinning thread teams on a
                // shared 2-core machine would otherwise stall each other for seconds
                "-Xmx256m", "-XX:ActiveProcessorCount=1", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ServerMain.class.getName(), "serve", "--port", Integer.toString(port)));
        cmd.addAll(List.of(serveArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ServerProcess(port, p, log);
    }

    /** Waits for /health/ready to answer 200; fails with the server's log if it exits or takes too long. */
    public ServerProcess awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI ready = URI.create("http://127.0.0.1:" + port + "/health/ready");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(1)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return this;
            } catch (IOException notListeningYet) {
                // retried below
            }
            if (!process.isAlive()) throw new AssertionError("server on port " + port + " exited with " + process.exitValue() + ":\n" + log());
            if (System.nanoTime() > deadline) throw new AssertionError("server on port " + port + " not ready within " + timeout + ":\n" + log());
            Thread.sleep(100);
        }
    }

    /** SIGTERM (Process.destroy on Linux). */
    public void terminate() { process.destroy(); }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
