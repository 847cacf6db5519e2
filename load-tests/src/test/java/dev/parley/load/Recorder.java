package dev.parley.load;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Collects samples from every virtual user; Gatling runs users on several threads, hence the concurrent queue. */
public final class Recorder {
    private static final ConcurrentLinkedQueue<RequestSample> SAMPLES = new ConcurrentLinkedQueue<>();

    private Recorder() {}

    public static void add(RequestSample sample) {
        SAMPLES.add(sample);
    }

    public static List<RequestSample> snapshot() {
        return List.copyOf(SAMPLES);
    }
}
