package dev.parley.load;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Everything a run can vary, read from system properties ({@code -Dname=value}, passed through by run.sh and Maven).
 * Profiles only change the defaults; any property still overrides them.
 */
public record LoadConfig(String profile, String baseUrl, String api, List<Integer> levels, Duration step,
                         double arrivalsPerS, Duration openDuration, int promptWords, int maxTokens, boolean ignoreEos,
                         int turns, double cancelShare, Duration requestTimeout, Double sloTtftP99Ms, Double sloItlP99Ms,
                         Summary.GoodputSlo goodput, String outputDir) {

    public static LoadConfig fromSystemProperties() {
        String profile = prop("profile", "smoke");
        boolean smoke = profile.equals("smoke");
        if (!List.of("smoke", "sweep", "poisson").contains(profile)) {
            throw new IllegalArgumentException("profile must be smoke, sweep or poisson, not " + profile);
        }
        return new LoadConfig(profile,
                prop("baseUrl", "http://127.0.0.1:8080"),
                // smoke exercises both APIs so neither simulation can rot; measurements use one API at a time.
                prop("api", smoke ? "both" : "ws"),
                Arrays.stream(prop("levels", smoke ? "2" : "1,2,4,8,16,32").split(",")).map(String::trim).map(Integer::parseInt).toList(),
                Duration.ofSeconds(Long.parseLong(prop("stepSeconds", smoke ? "5" : "15"))),
                Double.parseDouble(prop("rate", "4")),
                Duration.ofSeconds(Long.parseLong(prop("durationSeconds", "30"))),
                Integer.parseInt(prop("promptWords", "40")),
                Integer.parseInt(prop("maxTokens", smoke ? "32" : "128")),
                // Fixed-length outputs, as benchmark_serving's --ignore-eos, so runs compare; the OpenAI API has no such knob.
                Boolean.parseBoolean(prop("ignoreEos", "true")),
                Integer.parseInt(prop("turns", "3")),
                Double.parseDouble(prop("cancelShare", smoke ? "0.25" : "0")),
                Duration.ofSeconds(Long.parseLong(prop("timeoutSeconds", "60"))),
                optionalDouble("sloTtftP99Ms"), optionalDouble("sloItlP99Ms"),
                new Summary.GoodputSlo(Double.parseDouble(prop("goodputTtftMs", "1000")),
                        Double.parseDouble(prop("goodputTpotMs", "100"))),
                prop("outputDir", "target"));
    }

    public boolean closedModel() {
        return !profile.equals("poisson");
    }

    public String wsUrl() {
        return baseUrl.replaceFirst("^http", "ws");
    }

    private static String prop(String name, String fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private static Double optionalDouble(String name) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? null : Double.valueOf(v);
    }
}
