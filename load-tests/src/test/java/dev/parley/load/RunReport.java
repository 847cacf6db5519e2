package dev.parley.load;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Writes what a run measured into the output directory: summary.json (issue 6's schema), summary.md, one summary per
 * concurrency level for a sweep (levels.json), and slo-violations.txt (empty when the run passed).
 */
public final class RunReport {
    private RunReport() {}

    /** @param slow the slow readers' section, {@link SlowReaderSummary#NONE} when the run had none */
    public static List<String> write(LoadConfig c, List<RequestSample> samples, SlowReaderSummary slow) {
        Summary overall = Summary.of(c.profile(), samples, c.goodput());
        List<Summary> perLevel = new ArrayList<>();
        if (c.closedModel() && c.levels().size() > 1) {
            Map<Integer, List<RequestSample>> byLevel = new TreeMap<>(samples.stream().collect(Collectors.groupingBy(RequestSample::level)));
            byLevel.forEach((level, s) -> perLevel.add(Summary.of(c.profile() + "-c" + level, s, c.goodput())));
        }
        List<String> violations = new SloGate(c.sloTtftP99Ms(), c.sloItlP99Ms()).violations(overall, slow);

        Path dir = Path.of(c.outputDir());
        try {
            Files.createDirectories(dir);
            var writer = Frames.JSON.writer().with(SerializationFeature.INDENT_OUTPUT);
            Files.writeString(dir.resolve("summary.json"), writer.writeValueAsString(json(c, overall, slow)) + "\n");
            if (!perLevel.isEmpty()) {
                Files.writeString(dir.resolve("levels.json"), writer.writeValueAsString(perLevel.stream().map(Summary::toJson).toList()) + "\n");
            }
            Files.writeString(dir.resolve("summary.md"), markdown(c, overall, perLevel, samples, slow, violations));
            Files.writeString(dir.resolve("slo-violations.txt"), violations.stream().map(v -> v + "\n").collect(Collectors.joining()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.print(Summary.MARKDOWN_HEADER + overall.markdownRow());
        if (c.slowReaders().connections() > 0) System.out.print(slow.markdown(c.slowReaders()));
        violations.forEach(v -> System.out.println("SLO broken: " + v));
        return violations;
    }

    /** Issue 6's schema for the normal users, plus a {@code slow_readers} object when the run had slow readers. */
    static Map<String, Object> json(LoadConfig c, Summary overall, SlowReaderSummary slow) {
        Map<String, Object> json = overall.toJson();
        if (c.slowReaders().connections() > 0) json.put("slow_readers", slow.toJson());
        return json;
    }

    static String markdown(LoadConfig c, Summary overall, List<Summary> perLevel, List<RequestSample> samples,
                           SlowReaderSummary slow, List<String> violations) {
        StringBuilder md = new StringBuilder("# Parley load run: " + c.profile() + "\n\n");
        md.append("- when: ").append(Instant.now()).append("\n- target: ").append(c.baseUrl()).append(", api: ").append(c.api())
                .append("\n- shape: ").append(c.closedModel() ? "closed model, concurrency " + c.levels() + ", " + c.step().toSeconds() + " s each"
                        : "open model, Poisson arrivals at " + c.arrivalsPerS() + "/s for " + c.openDuration().toSeconds() + " s")
                .append("\n- prompts: ").append(c.promptWords()).append(" words, max_tokens ").append(c.maxTokens())
                .append(", ignore_eos ").append(c.ignoreEos()).append(", turns ").append(c.turns())
                .append(", cancel share ").append(c.cancelShare())
                .append(", slow readers ").append(c.slowReaders().connections())
                .append("\n- goodput SLO per request: TTFT ≤ ").append(c.goodput().ttftMs()).append(" ms and TPOT ≤ ").append(c.goodput().tpotMs()).append(" ms")
                .append("\n- run SLOs: p99 TTFT ≤ ").append(c.sloTtftP99Ms() == null ? "unset" : c.sloTtftP99Ms() + " ms")
                .append(", p99 ITL ≤ ").append(c.sloItlP99Ms() == null ? "unset" : c.sloItlP99Ms() + " ms").append(", zero errors\n")
                .append("- measured %.1f s; `requests` counts every request sent, latencies only those that completed (not cancelled, not failed)\n\n"
                        .formatted(overall.durationS()));
        md.append(Summary.MARKDOWN_HEADER).append(overall.markdownRow());
        if (!perLevel.isEmpty()) {
            md.append("\n## Per concurrency level\n\n").append(Summary.MARKDOWN_HEADER);
            perLevel.forEach(s -> md.append(s.markdownRow()));
        }
        if (c.slowReaders().connections() > 0) md.append(slow.markdown(c.slowReaders()));
        List<String> errors = samples.stream().filter(s -> s.outcome() == RequestSample.Outcome.ERROR)
                .map(s -> s.api() + ": " + s.error()).distinct().limit(10).toList();
        if (!errors.isEmpty()) {
            md.append("\n## Errors (distinct, first 10)\n\n");
            errors.forEach(e -> md.append("- ").append(e).append("\n"));
        }
        md.append("\n## Verdict\n\n").append(violations.isEmpty() ? "PASS\n" : "FAIL\n\n" + violations.stream().map(v -> "- " + v + "\n").collect(Collectors.joining()));
        return md.toString();
    }
}
