package dev.parley.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run's metrics with vLLM benchmark_serving's definitions. Latency percentiles cover requests that completed
 * normally; deliberately cancelled requests count in {@code requests} but not in latencies or throughput.
 */
public record Summary(String profile, int requests, int errors, int cancelled, Percentiles ttftMs, Percentiles tpotMs,
                      Percentiles itlMs, Percentiles e2eMs, double outputTokensPerS, double requestThroughputPerS,
                      double goodputPerS, double durationS) {

    /** A request counts toward goodput when its TTFT and TPOT are both within these bounds (vLLM's --goodput). */
    public record GoodputSlo(double ttftMs, double tpotMs) {}

    public record Percentiles(double p50, double p90, double p99) {
        static Percentiles of(double[] values) {
            return new Percentiles(percentile(values, 50), percentile(values, 90), percentile(values, 99));
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("p50", round(p50));
            m.put("p90", round(p90));
            m.put("p99", round(p99));
            return m;
        }
    }

    public static Summary of(String profile, List<RequestSample> samples, GoodputSlo slo) {
        List<RequestSample> ok = samples.stream().filter(s -> s.outcome() == RequestSample.Outcome.OK).toList();
        int errors = (int) samples.stream().filter(s -> s.outcome() == RequestSample.Outcome.ERROR).count();
        int cancelled = (int) samples.stream().filter(s -> s.outcome() == RequestSample.Outcome.CANCELLED).count();

        // The benchmark's duration: first send to last end over every request, as vLLM's wall-clock duration.
        long start = samples.stream().mapToLong(RequestSample::sentMs).min().orElse(0);
        long end = samples.stream().mapToLong(RequestSample::endMs).max().orElse(0);
        double durationS = Math.max(end - start, 1) / 1000.0;

        List<Double> itls = new ArrayList<>();
        ok.forEach(s -> Arrays.stream(s.itlMs()).forEach(itls::add));
        long outputTokens = ok.stream().mapToLong(RequestSample::outputTokens).sum();
        // vLLM counts a request with a single output token as meeting the TPOT bound (it has no TPOT).
        long good = ok.stream().filter(s -> s.ttftMs() <= slo.ttftMs()
                && (Double.isNaN(s.tpotMs()) || s.tpotMs() <= slo.tpotMs())).count();

        return new Summary(profile, samples.size(), errors, cancelled,
                Percentiles.of(finite(ok.stream().mapToDouble(RequestSample::ttftMs).toArray())),
                Percentiles.of(finite(ok.stream().mapToDouble(RequestSample::tpotMs).toArray())),
                Percentiles.of(itls.stream().mapToDouble(Double::doubleValue).toArray()),
                Percentiles.of(ok.stream().mapToDouble(RequestSample::e2eMs).toArray()),
                outputTokens / durationS, ok.size() / durationS, good / durationS, durationS);
    }

    /** Exactly the schema of issue 6; keep it stable, scripts read it. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("profile", profile);
        m.put("requests", requests);
        m.put("errors", errors);
        m.put("ttft_ms", ttftMs.toJson());
        m.put("tpot_ms", tpotMs.toJson());
        m.put("itl_ms", itlMs.toJson());
        m.put("e2e_ms", e2eMs.toJson());
        m.put("output_tokens_per_s", round(outputTokensPerS));
        m.put("request_throughput_per_s", round(requestThroughputPerS));
        m.put("goodput_per_s", round(goodputPerS));
        return m;
    }

    static final String MARKDOWN_HEADER = """
            | profile | requests | errors | cancelled | out tok/s | req/s | goodput/s | TTFT p50/p90/p99 ms | TPOT p50/p90/p99 ms | ITL p50/p90/p99 ms | E2E p50/p90/p99 ms |
            |---|---:|---:|---:|---:|---:|---:|---|---|---|---|
            """;

    String markdownRow() {
        return "| %s | %d | %d | %d | %.1f | %.2f | %.2f | %s | %s | %s | %s |%n".formatted(profile, requests, errors,
                cancelled, outputTokensPerS, requestThroughputPerS, goodputPerS, cell(ttftMs), cell(tpotMs), cell(itlMs), cell(e2eMs));
    }

    private static String cell(Percentiles p) {
        return "%s / %s / %s".formatted(fmt(p.p50), fmt(p.p90), fmt(p.p99));
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : v >= 100 ? "%.0f".formatted(v) : "%.1f".formatted(v);
    }

    /** numpy's default percentile (linear interpolation between closest ranks), which vLLM reports. NaN when empty. */
    static double percentile(double[] values, double p) {
        if (values.length == 0) return Double.NaN;
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double rank = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double[] finite(double[] values) {
        return Arrays.stream(values).filter(Double::isFinite).toArray();
    }

    /** Two decimals are more than a millisecond clock can justify; null (not NaN) where nothing was measured. */
    private static Double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 100) / 100.0 : null;
    }
}
