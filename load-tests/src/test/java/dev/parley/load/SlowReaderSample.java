package dev.parley.load;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How one slow reader's request ended. Kept apart from {@link RequestSample}: a slow reader's latencies measure its own
 * reading rate, not the server, so they must never enter the normal users' percentiles.
 *
 * @param deltas           delta frames received
 * @param multiTokenDeltas deltas carrying more than one token: the server held text back because the socket was not
 *                         writable (Vert.x's write queue was full) and coalesced it; only known with logprobs
 * @param completionTokens as counted by the server in {@code done}
 */
public record SlowReaderSample(String id, Outcome outcome, String finishReason, int completionTokens, int deltas,
                               int multiTokenDeltas, String error) {

    public enum Outcome {
        /** {@code done} with length or stop: the server's buffers and the reader's pace got the whole reply through. */
        COMPLETED,
        /**
         * {@code done} with {@code cancelled}: a slow reader never cancels, so this is the server's slow-reader limit
         * (server/PROTOCOL.md, Flow control: unwritable for --slow-reader-timeout, or 1 Mi characters held back).
         * The socket stays open; the limit is a designed outcome, not an error.
         */
        CUT_BY_LIMIT,
        /** Anything else: an error frame, the socket closed or reset by the server, no end before the deadline. */
        ERROR
    }

    public static SlowReaderSample error(String id, String error) {
        return new SlowReaderSample(id, Outcome.ERROR, null, 0, 0, 0, error);
    }

    /** Follows one request's frames as they are read (server/PROTOCOL.md shapes). Not thread-safe: one reader each. */
    static final class Tracker {
        final String id;
        private int deltas;
        private int multiTokenDeltas;
        private SlowReaderSample end;

        Tracker(String id) {
            this.id = id;
        }

        /** @param frame a frame whose {@code id} is this request's */
        void onFrame(JsonNode frame) {
            if (end != null) return;
            switch (frame.path("type").asText()) {
                case "delta" -> {
                    deltas++;
                    if (frame.path("tokens").size() > 1) multiTokenDeltas++;
                }
                case "done" -> {
                    String finish = frame.path("finish_reason").asText(null);
                    end = new SlowReaderSample(id, "cancelled".equals(finish) ? Outcome.CUT_BY_LIMIT : Outcome.COMPLETED, finish,
                            frame.path("usage").path("completion_tokens").asInt(), deltas, multiTokenDeltas, null);
                }
                case "error" -> end = new SlowReaderSample(id, Outcome.ERROR, null, 0, deltas, multiTokenDeltas,
                        frame.path("code").asText("?") + ": " + frame.path("message").asText(""));
                default -> { } // started
            }
        }

        boolean ended() {
            return end != null;
        }

        /** How the request ended, or an error saying why it never did. */
        SlowReaderSample result(String whyUnfinished) {
            return end != null ? end : new SlowReaderSample(id, Outcome.ERROR, null, 0, deltas, multiTokenDeltas, whyUnfinished);
        }
    }
}
