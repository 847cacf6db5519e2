package dev.parley.load;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;

/**
 * Reads from a socket no faster than a given rate, in ticks of a tenth of a second: between reads the bytes stay in
 * the kernel's small receive buffer, the TCP window closes and the server's sends back up, as with a client on a
 * starved link. {@link #unthrottle} lifts the limit (the run is over; collect how each request ended).
 *
 * <p>Past the {@link #giveUpAt deadline} every read fails, whether the server is silent or still trickling bytes (a
 * reply generated slowly would otherwise keep a reader going forever). The socket must have a short SO_TIMEOUT so a
 * read waiting on a silent server notices the deadline: a read that times out before it is simply retried.
 */
final class ThrottledInputStream extends InputStream {
    private final InputStream in;
    private final double bytesPerNano;
    /** At most a tick's worth of reading at once, so bytes arrive at an even pace rather than in bursts. */
    private final double burst;
    private double allowance;
    private long lastRefill = System.nanoTime();
    private volatile boolean unthrottled;
    private volatile long giveUpAtMs = Long.MAX_VALUE;
    private volatile long bytesThrottled;
    private volatile long bytesUnthrottled;

    ThrottledInputStream(InputStream in, int bytesPerS) {
        if (bytesPerS < 1) throw new IllegalArgumentException("bytes per second must be >= 1 (got " + bytesPerS + ")");
        this.in = in;
        this.bytesPerNano = bytesPerS / 1e9;
        this.burst = Math.max(1, bytesPerS / 10.0);
    }

    void unthrottle() {
        unthrottled = true;
    }

    /** After this wall-clock time, a read that is still waiting for data fails instead of waiting on. */
    void giveUpAt(long epochMs) {
        giveUpAtMs = epochMs;
    }

    long bytesThrottled() { return bytesThrottled; }

    long bytesUnthrottled() { return bytesUnthrottled; }

    @Override public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        checkDeadline();
        boolean limited = !unthrottled;
        if (limited) {
            refill();
            while (allowance < 1 && !unthrottled) {
                pause((long) Math.ceil((1 - allowance) / bytesPerNano / 1e6));
                refill();
            }
            limited = !unthrottled;
            if (limited) len = (int) Math.min(len, allowance);
        }
        while (true) {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    if (limited) {
                        allowance -= n;
                        bytesThrottled += n;
                    } else {
                        bytesUnthrottled += n;
                    }
                }
                return n;
            } catch (SocketTimeoutException e) {
                checkDeadline();
            }
        }
    }

    private void checkDeadline() throws SocketTimeoutException {
        if (System.currentTimeMillis() > giveUpAtMs) throw new SocketTimeoutException("the reply had not ended by the reader's deadline");
    }

    private void refill() {
        long now = System.nanoTime();
        allowance = Math.min(burst, allowance + (now - lastRefill) * bytesPerNano);
        lastRefill = now;
    }

    private static void pause(long ms) throws IOException {
        try {
            Thread.sleep(Math.max(1, ms));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while pacing reads", e);
        }
    }
}
