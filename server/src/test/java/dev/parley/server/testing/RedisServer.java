package dev.parley.server.testing;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

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
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("*2\r\n$3\r\nGET\r\n$" + k.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(k);
            s.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder header = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("Redis closed the connection");
                if (c != '\r') header.append((char) c);
            }
            if (header.charAt(0) != '$') throw new IOException("unexpected reply to GET: " + header);
            int length = Integer.parseInt(header.substring(1));
            if (length < 0) return null;
            byte[] value = new byte[length];
            in.readFully(value);
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /** Commands Redis has executed so far, INFO itself not counted: for tests that prove a server did not ask it. */
    public long commandsExecuted() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write("*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n".getBytes(StandardCharsets.US_ASCII));
            DataInputStream in = new DataInputStream(s.getInputStream());
            StringBuilder header = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new IOException("Redis closed the connection");
                if (c != '\r') header.append((char) c);
            }
            byte[] body = new byte[Integer.parseInt(header.substring(1))];
            in.readFully(body);
            long calls = 0;
            for (String line : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
                // cmdstat_get:calls=3,usec=...
                if (!line.startsWith("cmdstat_") || line.startsWith("cmdstat_info:")) continue;
                String rest = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(rest.substring(0, rest.indexOf(',')));
            }
            return calls;
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
        String msg = "redis-server not found on PATH (apt-get install redis-server)";
        if (Boolean.getBoolean("parley.redis.required")) throw new IllegalStateException(msg);
        Assumptions.abort(msg + "; skipping (-Dparley.redis.required=true makes this a failure)");
        throw new AssertionError("unreachable");
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

}
