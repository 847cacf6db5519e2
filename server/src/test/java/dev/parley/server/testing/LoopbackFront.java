package dev.parley.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A test stand-in for a Kubernetes Service in front of replicas: a TCP proxy on loopback that polls every backend's
 * {@code /health/ready} and sends each new connection to a backend that last answered 200 (round robin). A
 * connection stays on its backend until one side closes it, as kube-proxy keeps established connections.
 */
public final class LoopbackFront implements AutoCloseable {
    /** Where the connection from client port {@code clientPort} went. */
    public record Route(int backend, long acceptedNanos) {}

    private final ServerSocket listener;
    private final int[] backendPorts;
    private final Duration pollEvery;
    private final AtomicIntegerArray ready;
    /** System.nanoTime() when the poller first saw each backend not ready; 0 while it is ready. */
    private final AtomicLongArray notReadySince;
    private final AtomicIntegerArray open;
    private final Map<Integer, Route> routes = new ConcurrentHashMap<>();
    private final AtomicInteger nextBackend = new AtomicInteger();
    /** Connections closed at once because no backend was ready. */
    public final AtomicInteger refused = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private volatile boolean closed;

    private LoopbackFront(int[] backendPorts, Duration pollEvery) throws IOException {
        this.backendPorts = backendPorts.clone();
        this.pollEvery = pollEvery;
        this.ready = new AtomicIntegerArray(backendPorts.length);
        this.notReadySince = new AtomicLongArray(backendPorts.length);
        this.open = new AtomicIntegerArray(backendPorts.length);
        this.listener = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
    }

    public static LoopbackFront start(List<Integer> backendPorts, Duration pollEvery) throws IOException {
        LoopbackFront f = new LoopbackFront(backendPorts.stream().mapToInt(Integer::intValue).toArray(), pollEvery);
        Thread.ofPlatform().daemon().name("front-readiness").start(f::pollReadiness);
        Thread.ofPlatform().daemon().name("front-accept").start(f::acceptLoop);
        return f;
    }

    public int port() { return listener.getLocalPort(); }

    public boolean ready(int backend) { return ready.get(backend) == 1; }

    /** When the front stopped routing to this backend (System.nanoTime()), or 0 while it routes to it. */
    public long notReadySince(int backend) { return notReadySince.get(backend); }

    /** Connections to this backend open right now. */
    public int open(int backend) { return open.get(backend); }

    /** Where the connection from this client port went (removed: ports are reused), or null if it was never routed. */
    public Route takeRoute(int clientPort) { return routes.remove(clientPort); }

    private void pollReadiness() {
        while (!closed) {
            for (int i = 0; i < backendPorts.length; i++) {
                boolean ok;
                try {
                    ok = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backendPorts[i] + "/health/ready"))
                            .timeout(Duration.ofMillis(500)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    ok = false;
                } catch (InterruptedException e) {
                    return;
                }
                if (ok) notReadySince.set(i, 0);
                else notReadySince.compareAndSet(i, 0, System.nanoTime());
                ready.set(i, ok ? 1 : 0);
            }
            try {
                Thread.sleep(pollEvery);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            long accepted = System.nanoTime();
            int backend = choose();
            if (backend < 0) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            routes.put(client.getPort(), new Route(backend, accepted));
            Thread.ofVirtual().start(() -> connect(client, backend));
        }
    }

    /** Round robin over the backends that last answered ready; -1 when none did. */
    private int choose() {
        int n = backendPorts.length;
        int start = Math.floorMod(nextBackend.getAndIncrement(), n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (ready.get(i) == 1) return i;
        }
        return -1;
    }

    private void connect(Socket client, int backend) {
        Socket upstream = new Socket();
        try {
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), backendPorts[backend]), 1000);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return;
        }
        open.incrementAndGet(backend);
        Thread up = Thread.ofVirtual().start(() -> pump(client, upstream));
        pump(upstream, client);
        try {
            up.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        open.decrementAndGet(backend);
        closeQuietly(client);
        closeQuietly(upstream);
    }

    /** Copies one direction until EOF, then half-closes the other side (so a close travels through the front). */
    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from); // a reset on one side resets the whole connection
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override public void close() throws IOException {
        closed = true;
        listener.close();
    }
}
