package dev.parley.load;

import java.util.ArrayList;
import java.util.List;

/**
 * The run's pass/fail rule: zero errors (deliberate cancels are not errors) and, when set, p99 TTFT and p99 ITL
 * bounds. Failing it makes run.sh exit non-zero. Slow readers count toward the error budget (a slow reader cut by
 * the server's slow-reader limit is not an error) but never toward the latency bounds, which are the normal users'.
 */
public record SloGate(Double ttftP99Ms, Double itlP99Ms) {

    /** Empty when the run passes; otherwise one readable line per broken bound. */
    public List<String> violations(Summary s) {
        return violations(s, SlowReaderSummary.NONE);
    }

    public List<String> violations(Summary s, SlowReaderSummary slow) {
        List<String> broken = new ArrayList<>();
        if (slow.errors() > 0) {
            broken.add("error budget: %d slow-reader request(s) failed (budget 0): %s".formatted(slow.errors(), String.join("; ", slow.errorMessages())));
        }
        if (s.errors() > 0) broken.add("error budget: %d request(s) failed (budget 0)".formatted(s.errors()));
        if (s.requests() == s.errors() + s.cancelled()) broken.add("no request completed normally");
        check(broken, "TTFT", s.ttftMs().p99(), ttftP99Ms);
        check(broken, "ITL", s.itlMs().p99(), itlP99Ms);
        return broken;
    }

    private static void check(List<String> broken, String metric, double p99, Double bound) {
        if (bound == null) return;
        // A metric that could not be measured cannot be shown to meet its bound.
        if (Double.isNaN(p99) || p99 > bound) {
            broken.add("%s p99 %s ms > SLO %s ms".formatted(metric, Double.isNaN(p99) ? "not measured" : "%.1f".formatted(p99), bound));
        }
    }
}
