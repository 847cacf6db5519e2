package dev.parley.load;

/**
 * What one chat request measured, in wall-clock milliseconds (Gatling timestamps its inbound messages in millis).
 *
 * @param api          "ws" or "sse"
 * @param level        the closed-model concurrency it ran under, or 0 for open-model arrivals
 * @param sentMs       when the request was sent
 * @param deltaMs      arrival time of every non-empty delta, in order
 * @param endMs        when the request ended (its done frame or SSE [DONE])
 * @param outputTokens completion tokens as counted by the server
 */
public record RequestSample(String api, int level, Outcome outcome, long sentMs, long[] deltaMs, long endMs,
                            int outputTokens, String error) {

    public enum Outcome { OK, CANCELLED, ERROR }

    public static RequestSample error(String api, int level, long sentMs, String error) {
        return new RequestSample(api, level, Outcome.ERROR, sentMs, new long[0], System.currentTimeMillis(), 0, error);
    }

    /** Time to first token: send → first non-empty delta (vLLM's TTFT). NaN when no text came back. */
    public double ttftMs() {
        return deltaMs.length == 0 ? Double.NaN : deltaMs[0] - sentMs;
    }

    public double e2eMs() {
        return endMs - sentMs;
    }

    /** Time per output token after the first: (E2E − TTFT) / (tokens − 1), as vLLM; NaN for fewer than 2 tokens. */
    public double tpotMs() {
        return outputTokens < 2 || deltaMs.length == 0 ? Double.NaN : (e2eMs() - ttftMs()) / (outputTokens - 1);
    }

    /** Inter-token latencies: every gap between consecutive deltas (a delta may carry several tokens, as vLLM's chunks). */
    public double[] itlMs() {
        double[] gaps = new double[Math.max(0, deltaMs.length - 1)];
        for (int i = 0; i < gaps.length; i++) gaps[i] = deltaMs[i + 1] - deltaMs[i];
        return gaps;
    }
}
