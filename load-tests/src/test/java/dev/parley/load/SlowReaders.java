package dev.parley.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The slow-reader population: WebSocket clients that read at a fixed low rate from a tiny receive buffer. Gatling's
 * client reads eagerly and cannot do that, so each one is a plain socket speaking RFC 6455 on a virtual thread of its
 * own, started beside the Gatling users and never blocking their threads.
 *
 * <p>Each connection keeps {@code requests} chats in flight (one new session each) and starts another round when all
 * of them have ended, until the load schedule is over. {@link #finish} then lifts the rate limit so each reader
 * collects how its last requests ended: the slow phase is what the normal users ran against; the fast drain only
 * reads the verdict after them.
 */
final class SlowReaders {
    private static final int MAX_MESSAGE_BYTES = 64 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LoadConfig config;
    private final long loadEndsAtMs;
    private final List<Connection> connections = new ArrayList<>();
    private final ConcurrentLinkedQueue<SlowReaderSample> samples = new ConcurrentLinkedQueue<>();

    /** What the population did: one sample per request (or per connection that failed before any), bytes read. */
    record Result(List<SlowReaderSample> samples, long bytesReadSlowly, long bytesReadAfterRun) {}

    private SlowReaders(LoadConfig config, long loadEndsAtMs) {
        this.config = config;
        this.loadEndsAtMs = loadEndsAtMs;
    }

    /** Opens every slow-reader connection now; none when the config asks for none. */
    static SlowReaders start(LoadConfig config) {
        SlowReaders population = new SlowReaders(config, System.currentTimeMillis() + config.loadDuration().toMillis());
        for (int i = 0; i < config.slowReaders().connections(); i++) {
            Connection c = population.new Connection(i);
            population.connections.add(c);
            c.thread = Thread.ofVirtual().name("slow-reader-" + i).start(c::run);
        }
        return population;
    }

    /**
     * Reads on at full speed until every request has ended or {@code timeout} has passed, then returns what happened.
     * A request with no end by then is an error: the server should have finished or cut it long before.
     */
    Result finish(Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        for (Connection c : connections) c.stopPacing(deadline);
        long slow = 0, fast = 0;
        for (Connection c : connections) {
            try {
                // The reader's own deadline ends its reads; the extra seconds cover closing the socket.
                if (!c.thread.join(Duration.ofMillis(Math.max(0, deadline - System.currentTimeMillis()) + 5_000))) {
                    c.thread.interrupt();
                    samples.add(SlowReaderSample.error("slow" + c.index, "the reader thread did not stop after its deadline"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the slow readers", e);
            }
            if (c.throttle != null) {
                slow += c.throttle.bytesThrottled();
                fast += c.throttle.bytesUnthrottled();
            }
        }
        return new Result(List.copyOf(samples), slow, fast);
    }

    private final class Connection {
        final int index;
        Thread thread;
        volatile ThrottledInputStream throttle;
        private volatile boolean finishing;
        private volatile long deadlineMs = Long.MAX_VALUE;
        private OutputStream out;
        private final Map<String, SlowReaderSample.Tracker> open = new LinkedHashMap<>();

        Connection(int index) {
            this.index = index;
        }

        void stopPacing(long deadline) {
            deadlineMs = deadline;
            finishing = true;
            ThrottledInputStream t = throttle;
            if (t != null) {
                t.giveUpAt(deadline);
                t.unthrottle();
            }
        }

        void run() {
            LoadConfig.SlowReaderConfig c = config.slowReaders();
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(c.receiveBuffer()); // before connect: the window scale is agreed in the handshake
                URI url = URI.create(config.wsUrl() + "/v1/chat/ws");
                int port = url.getPort() < 0 ? 80 : url.getPort();
                socket.connect(new InetSocketAddress(url.getHost(), port), 5_000);
                // Short, so a read waiting for data re-checks the deadline (ThrottledInputStream retries until then).
                socket.setSoTimeout(1_000);
                out = socket.getOutputStream();
                handshake(socket.getInputStream(), url.getHost() + ":" + port, url.getRawPath());
                ThrottledInputStream t = new ThrottledInputStream(socket.getInputStream(), c.bytesPerS());
                throttle = t;
                if (finishing) { // finish() came while connecting: it could not reach this stream
                    t.giveUpAt(deadlineMs);
                    t.unthrottle();
                }
                DataInputStream in = new DataInputStream(new BufferedInputStream(t, 8192));
                for (int round = 0; round == 0 || (!finishing && System.currentTimeMillis() < loadEndsAtMs); round++) {
                    for (int i = 0; i < c.requests(); i++) {
                        String id = "slow" + index + "-" + round + "-" + i;
                        open.put(id, new SlowReaderSample.Tracker(id));
                        sendText(Frames.chat(id, null, Prompts.prompt(index * 31L + round * 7L + i, config.promptWords()),
                                c.maxTokens(), true, c.logprobs()));
                    }
                    while (!open.isEmpty()) {
                        JsonNode frame = Frames.parse(nextMessage(in));
                        String id = frame.path("id").asText(null);
                        SlowReaderSample.Tracker tracker = id == null ? null : open.get(id);
                        if (tracker != null) {
                            tracker.onFrame(frame);
                            if (tracker.ended()) samples.add(open.remove(id).result(null));
                        } else if (frame.path("type").asText().equals("error")) {
                            samples.add(SlowReaderSample.error(id == null ? "slow" + index : id, "unexpected error frame: " + frame));
                        }
                    }
                }
                sendClose();
            } catch (IOException | RuntimeException e) {
                String why = e instanceof EOFException ? "the server closed the connection"
                        : Thread.currentThread().isInterrupted() ? "stopped: the reader outlived its deadline (" + e.getMessage() + ")"
                        : e.toString();
                if (open.isEmpty()) samples.add(SlowReaderSample.error("slow" + index, why));
                open.values().forEach(tr -> samples.add(tr.result(why)));
                open.clear();
            }
        }

        private void handshake(InputStream raw, String host, String path) throws IOException {
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                    + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // Byte by byte, unbuffered: the first frames after the headers belong to the paced stream.
            String status = readLine(raw);
            if (!status.startsWith("HTTP/1.1 101")) throw new IOException("WebSocket upgrade refused: " + status);
            while (!readLine(raw).isEmpty()) { } // the response headers
        }

        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) throw new EOFException("connection closed during the WebSocket handshake");
                if (b != '\r') line.write(b);
            }
            return line.toString(StandardCharsets.US_ASCII);
        }

        /** The next whole text message (fragments joined); answers pings; a close frame ends the connection. */
        private String nextMessage(DataInputStream in) throws IOException {
            ByteArrayOutputStream message = null;
            while (true) {
                int b0 = in.readUnsignedByte(), b1 = in.readUnsignedByte();
                if ((b1 & 0x80) != 0) throw new IOException("the server sent a masked frame");
                long len = b1 & 0x7f;
                if (len == 126) len = in.readUnsignedShort();
                else if (len == 127) len = in.readLong();
                if (len > MAX_MESSAGE_BYTES) throw new IOException("frame of " + len + " bytes");
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                boolean fin = (b0 & 0x80) != 0;
                switch (b0 & 0x0f) {
                    case 0x1 -> message = new ByteArrayOutputStream();
                    case 0x0 -> { if (message == null) throw new IOException("a continuation frame with no message to continue"); }
                    case 0x8 -> throw new IOException("the server closed the WebSocket" + (len >= 2
                            ? " with code " + (((payload[0] & 0xff) << 8) | (payload[1] & 0xff)) + " "
                              + new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : ""));
                    case 0x9 -> { writeFrame(0xA, payload); continue; }
                    case 0xA -> { continue; }
                    default -> throw new IOException("unexpected frame opcode " + (b0 & 0x0f));
                }
                message.write(payload);
                if (message.size() > MAX_MESSAGE_BYTES) throw new IOException("message over " + MAX_MESSAGE_BYTES + " bytes");
                if (fin) return message.toString(StandardCharsets.UTF_8);
            }
        }

        private void sendText(String text) throws IOException {
            writeFrame(0x1, text.getBytes(StandardCharsets.UTF_8));
        }

        private void sendClose() throws IOException {
            writeFrame(0x8, new byte[] {0x03, (byte) 0xe8}); // 1000, normal closure
        }

        /** One masked frame (RFC 6455 requires clients to mask). */
        private void writeFrame(int opcode, byte[] payload) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
            f.write(0x80 | opcode);
            if (payload.length < 126) {
                f.write(0x80 | payload.length);
            } else if (payload.length < 65536) {
                f.write(0x80 | 126);
                f.write(payload.length >> 8);
                f.write(payload.length);
            } else {
                f.write(0x80 | 127);
                for (int shift = 56; shift >= 0; shift -= 8) f.write((int) ((long) payload.length >> shift));
            }
            byte[] mask = new byte[4];
            RANDOM.nextBytes(mask);
            f.write(mask);
            for (int i = 0; i < payload.length; i++) f.write(payload[i] ^ mask[i & 3]);
            out.write(f.toByteArray());
            out.flush();
        }
    }
}
