package dev.parley.server.testing;

import dev.parley.inference.testing.Requirements;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A real, throwaway Redis (Debian's {@code redis-server}) on a free loopback port, without persistence. Tests that
 * need it are skipped with a clear message when the binary is missing; {@code -Dparley.redis.required=true} (CI)
 * makes that a failure instead.
 */
public final class RedisServer implements AutoCloseable {
    public final int port;
    private final Process process;

    private RedisServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    public String uri() { return "redis://127.0.0.1:" + port + "/0"; }

    public static RedisServer start() throws IOException, InterruptedException {
        Path binary = locate();
        int port = freePort();
        Path log = Files.createTempFile("parley-redis", ".log");
        Process p = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        RedisServer server = new RedisServer(port, p);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!server.answersPing()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-server did not start on port " + port + ": " + Files.readString(log));
            }
            Thread.sleep(20);
        }
        return server;
    }

    /** Stops it abruptly (SIGKILL), as a crashed or partitioned store would behave. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) kill();
    }

    /**
     * {@code GET key} over a plain socket (RESP), for tests that look at what a server process saved without going
     * through any server: the value as UTF-8, or null when the key does not exist.
     */
    public String get(String key) throws IOException {
        return command("GET", key);
    }

    /** Commands Redis has executed so far, INFO itself not counted: for tests that prove a server did not ask it. */
    public long commandsExecuted() throws IOException {
        return commandStats().entrySet().stream().filter(e -> !e.getKey().equals("info")).mapToLong(Map.Entry::getValue).sum();
    }

    /** Calls of one command so far ({@code eval}, {@code evalsha}, ...; 0 if never called). */
    public long calls(String command) throws IOException {
        return commandStats().getOrDefault(command, 0L);
    }

    private Map<String, Long> commandStats() throws IOException {
        Map<String, Long> calls = new HashMap<>();
        for (String line : command("INFO", "commandstats").split("\r\n")) {
            // cmdstat_get:calls=3,usec=...
            if (!line.startsWith("cmdstat_")) continue;
            String rest = line.substring(line.indexOf("calls=") + 6);
            calls.put(line.substring(8, line.indexOf(':')), Long.parseLong(rest.substring(0, rest.indexOf(','))));
        }
        return calls;
    }

    /**
     * One command over a plain socket (RESP) on a connection of its own: a status or bulk reply as text (null for a
     * missing value), an integer reply as its digits; an error reply fails.
     */
    public String command(String... args) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            request.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            for (String arg : args) {
                byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
                request.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                request.writeBytes(bytes);
                request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            s.getOutputStream().write(request.toByteArray());
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder header = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("Redis closed the connection");
                if (c != '\r') header.append((char) c);
            }
            switch (header.charAt(0)) {
                case '+', ':' -> { return header.substring(1); }
                case '$' -> {
                    int length = Integer.parseInt(header.substring(1));
                    if (length < 0) return null;
                    byte[] value = new byte[length];
                    in.readFully(value);
                    return new String(value, StandardCharsets.UTF_8);
                }
                default -> throw new IOException("Redis answered " + String.join(" ", args) + " with " + header);
            }
        }
    }

    private boolean answersPing() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] reply = new byte[7];
            int n = s.getInputStream().read(reply);
            return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static Path locate() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + ":/usr/bin:/usr/sbin:/usr/local/bin").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) return p;
        }
        Requirements.require(false, "parley.redis.required", "redis-server not found on PATH (apt-get install redis-server)");
        throw new AssertionError("unreachable: require skips or fails");
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

}
