package dev.parley.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client on a plain socket, for tests that need control a real client library does not give: it can stop
 * reading entirely (a slow reader) with a tiny receive buffer, so the server's writes back up after a few kilobytes.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final SecureRandom random = new SecureRandom();
    private int closeCode;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and completes the handshake; {@code receiveBuffer} is the socket's SO_RCVBUF (set before connecting). */
    public static RawWebSocket connect(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBuffer);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(20_000);
        RawWebSocket ws = new RawWebSocket(s);
        String key = Base64.getEncoder().encodeToString(ws.random.generateSeed(16));
        ws.out.write(("GET /v1/chat/ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        String status = ws.readLine();
        if (!status.startsWith("HTTP/1.1 101")) throw new IOException("upgrade refused: " + status);
        while (!ws.readLine().isEmpty()) { } // headers
        return ws;
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) throw new IOException("connection closed during the handshake");
            if (c != '\r') b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Sends one masked text frame (clients must mask). */
    public void sendText(String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (payload.length < 126) f.write(0x80 | payload.length);
        else if (payload.length < 65536) { f.write(0x80 | 126); f.write(payload.length >> 8); f.write(payload.length); }
        else throw new IllegalArgumentException("frame too large for this test client");
        byte[] mask = new byte[4];
        random.nextBytes(mask);
        f.write(mask);
        for (int i = 0; i < payload.length; i++) f.write(payload[i] ^ mask[i & 3]);
        out.write(f.toByteArray());
        out.flush();
    }

    /** The next text frame's payload, or null when the server sent a close frame. Control frames are skipped. */
    public String nextText() throws IOException {
        while (true) {
            int b0 = in.readUnsignedByte(), b1 = in.readUnsignedByte();
            long len = b1 & 0x7f;
            if (len == 126) len = in.readUnsignedShort();
            else if (len == 127) len = in.readLong();
            byte[] payload = new byte[(int) len];
            in.readFully(payload);
            int opcode = b0 & 0x0f;
            if (opcode == 0x8) {
                closeCode = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                return null;
            }
            if (opcode == 0x1) return new String(payload, StandardCharsets.UTF_8);
        }
    }

    public InputStream input() { return in; }

    public void soTimeout(int ms) throws IOException { socket.setSoTimeout(ms); }

    /** The client side's port: what a proxy in front of the server sees as this connection's source port. */
    public int localPort() { return socket.getLocalPort(); }

    /** The status code of the server's close frame (1005 when it had none); 0 until {@link #nextText} met one. */
    public int closeCode() { return closeCode; }

    @Override public void close() throws IOException {
        socket.close();
    }
}
