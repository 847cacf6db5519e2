package dev.parley.server.cli;

import java.io.PrintWriter;

/**
 * SIGTERM and SIGINT as a request to drain. The JVM's default handling runs shutdown hooks and then exits with 143
 * (130 for SIGINT) however cleanly they finished; handling the signals instead lets the serve command drain on its
 * own thread and return 0. A second signal during the drain exits at once, for an impatient operator at a terminal.
 */
final class Termination {
    private Termination() {}

    /** Calls {@code onFirst} on the first SIGTERM or SIGINT; false when this JVM does not let us handle them. */
    @SuppressWarnings("removal")
    static boolean trap(Runnable onFirst, PrintWriter err) {
        var seen = new java.util.concurrent.atomic.AtomicBoolean();
        sun.misc.SignalHandler handler = signal -> {
            if (seen.compareAndSet(false, true)) {
                onFirst.run();
            } else {
                err.println("parley serve: second " + signal.getName() + " while draining: exiting now");
                err.flush();
                Runtime.getRuntime().halt(128 + signal.getNumber());
            }
        };
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            return false; // e.g. -Xrs: the JVM keeps the signals to itself
        }
    }
}
