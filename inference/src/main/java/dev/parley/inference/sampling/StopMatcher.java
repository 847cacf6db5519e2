package dev.parley.inference.sampling;

import java.util.List;

/**
 * Finds stop strings in streamed text. Each {@link #feed} returns the text that can be shown now: everything up to
 * the first stop string once one appears (the stop string itself is dropped and the matcher is done), or otherwise
 * everything except a trailing piece that could still turn into a stop string with the next delta. That piece is
 * released by a later feed once it stops matching, or by {@link #flush()} when generation ends another way.
 * Not thread-safe: one matcher per sequence.
 */
public final class StopMatcher {
    private final List<String> stops;
    private String held = ""; // text not yet emitted: never longer than the longest stop string minus one between feeds
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        for (String stop : stops) {
            if (stop == null || stop.isEmpty()) throw new IllegalArgumentException("stop strings must be non-empty");
        }
        this.stops = List.copyOf(stops);
    }

    /** What a feed released, and whether a stop string has been reached (then {@code emit} ends right before it). */
    public record Result(String emit, boolean stopped) {}

    public Result feed(String delta) {
        if (stopped) return new Result("", true);
        held = held + delta;

        int stopAt = firstStopIndex();
        if (stopAt >= 0) {
            stopped = true;
            String emit = held.substring(0, stopAt);
            held = "";
            return new Result(emit, true);
        }
        int keep = longestSuffixStartingAStop();
        String emit = held.substring(0, held.length() - keep);
        held = held.substring(held.length() - keep);
        return new Result(emit, false);
    }

    /** Releases the held-back text when generation ends without a stop string; empty after a stop. */
    public String flush() {
        String rest = held;
        held = "";
        return rest;
    }

    public boolean stopped() {
        return stopped;
    }

    private int firstStopIndex() {
        int first = -1;
        for (String stop : stops) {
            int at = held.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /**
     * Length of the longest suffix of the held text that is a proper prefix of some stop string: text that must
     * wait for the next delta. Everything before it can never be part of a stop string, since a stop starting there
     * would either lie wholly inside the held text (and have been found) or make a longer such suffix.
     */
    private int longestSuffixStartingAStop() {
        int longest = 0;
        for (String stop : stops) {
            int max = Math.min(stop.length() - 1, held.length());
            for (int len = max; len > longest; len--) {
                if (held.regionMatches(held.length() - len, stop, 0, len)) {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }
}
