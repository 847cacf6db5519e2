package dev.parley.load;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slow readers' own section of a run report. Their requests never enter {@link Summary}: a slow reader's
 * latencies measure its reading rate, and what matters about them is how they ended and what they cost the others.
 *
 * @param completed        requests ended by {@code done} with length or stop
 * @param cutByLimit       requests ended by {@code done} with {@code cancelled}: the server's slow-reader limit
 * @param errors           anything else; these break the run's error budget like a normal user's error
 * @param multiTokenDeltas deltas carrying several tokens: evidence the server's write queue filled and it coalesced
 * @param bytesReadSlowly  bytes read at the paced rate, during the load schedule
 * @param bytesReadAfter   bytes read at full speed after it, to collect each request's end
 */
public record SlowReaderSummary(int connections, int bytesPerS, int requests, int completed, int cutByLimit, int errors,
                                long completionTokens, long deltas, long multiTokenDeltas, long bytesReadSlowly,
                                long bytesReadAfter, List<String> errorMessages) {

    public static final SlowReaderSummary NONE = new SlowReaderSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, List.of());

    public static SlowReaderSummary of(LoadConfig.SlowReaderConfig c, SlowReaders.Result r) {
        List<SlowReaderSample> s = r.samples();
        List<SlowReaderSample> errors = s.stream().filter(x -> x.outcome() == SlowReaderSample.Outcome.ERROR).toList();
        return new SlowReaderSummary(c.connections(), c.bytesPerS(), s.size(),
                count(s, SlowReaderSample.Outcome.COMPLETED), count(s, SlowReaderSample.Outcome.CUT_BY_LIMIT), errors.size(),
                s.stream().mapToLong(SlowReaderSample::completionTokens).sum(),
                s.stream().mapToLong(SlowReaderSample::deltas).sum(),
                s.stream().mapToLong(SlowReaderSample::multiTokenDeltas).sum(),
                r.bytesReadSlowly(), r.bytesReadAfterRun(),
                errors.stream().map(e -> e.id() + ": " + e.error()).distinct().limit(10).toList());
    }

    private static int count(List<SlowReaderSample> samples, SlowReaderSample.Outcome outcome) {
        return (int) samples.stream().filter(x -> x.outcome() == outcome).count();
    }

    /** The {@code slow_readers} object of summary.json (only written when the run had slow readers). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", connections);
        m.put("read_bytes_per_s", bytesPerS);
        m.put("requests", requests);
        m.put("completed", completed);
        m.put("cut_by_slow_reader_limit", cutByLimit);
        m.put("errors", errors);
        m.put("completion_tokens", completionTokens);
        m.put("deltas", deltas);
        m.put("coalesced_deltas", multiTokenDeltas);
        m.put("bytes_read_slowly", bytesReadSlowly);
        m.put("bytes_read_after_run", bytesReadAfter);
        return m;
    }

    String markdown(LoadConfig.SlowReaderConfig c) {
        StringBuilder md = new StringBuilder("\n## Slow readers (not in the latencies above)\n\n");
        md.append("%d socket(s) reading at most %d B/s through a %d-byte receive buffer, %d request(s) in flight each (max_tokens %d, logprobs %d).%n"
                .formatted(connections, bytesPerS, c.receiveBuffer(), c.requests(), c.maxTokens(), c.logprobs()));
        md.append("`cut by limit` = `done` with `cancelled` (the server's slow-reader limit; not an error); `coalesced deltas` = deltas "
                + "carrying several tokens, i.e. the server's write queue was full (known only with logprobs).\n\n");
        md.append("| requests | completed | cut by limit | errors | tokens | deltas | coalesced deltas | bytes read slowly | bytes read after the run |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        md.append("| %d | %d | %d | %d | %d | %d | %s | %d | %d |%n".formatted(requests, completed, cutByLimit, errors,
                completionTokens, deltas, c.logprobs() > 0 ? Long.toString(multiTokenDeltas) : "–", bytesReadSlowly, bytesReadAfter));
        if (!errorMessages.isEmpty()) {
            md.append("\nSlow-reader errors (distinct, first 10):\n\n");
            errorMessages.forEach(e -> md.append("- ").append(e).append("\n"));
        }
        return md.toString();
    }
}
