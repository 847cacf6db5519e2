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
                         Summary.GoodputSlo goodput, String outputDir, SlowReaderConfig slowReaders) {

    /**
     * The slow-reader population: WebSocket clients on their own sockets (not Gatling users) that read at most
     * {@code bytesPerS} from a tiny receive buffer, so the server's sends back up (see {@link SlowReaders}).
     *
     * @param connections   slow-reader sockets open during the whole run, alongside the Gatling users; 0 = none
     * @param requests      chat requests each one keeps in flight at once (one session each)
     * @param maxTokens     per request, with ignore_eos; the backlog must outgrow the server's kernel send buffer
     *                      (up to net.ipv4.tcp_wmem's max, 4 MiB on Linux) before Vert.x's write queue fills at all
     * @param logprobs      alternatives per token (0–20): they make each token ~1 kB on the wire, and a delta's
     *                      {@code tokens} array then shows exactly when the server coalesced
     * @param receiveBuffer the socket's SO_RCVBUF, set before connecting so the TCP window stays small
     */
    public record SlowReaderConfig(int connections, int bytesPerS, int requests, int maxTokens, int logprobs, int receiveBuffer) {
        public SlowReaderConfig {
            if (connections < 0) throw new IllegalArgumentException("slowReaders must be >= 0 (got " + connections + ")");
            if (connections > 0 && bytesPerS < 1) throw new IllegalArgumentException("slowReaderBytesPerSecond must be >= 1 (got " + bytesPerS + ")");
            if (connections > 0 && requests < 1) throw new IllegalArgumentException("slowReaderRequests must be >= 1 (got " + requests + ")");
            if (logprobs < 0 || logprobs > 20) throw new IllegalArgumentException("slowReaderLogprobs must be in [0, 20] (got " + logprobs + ")");
        }
    }

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
                prop("outputDir", "target"),
                // smoke keeps one small slow reader so the population's code cannot rot; its backlog (~0.5 MB) stays
                // inside the kernel's buffers, so only a bigger run reaches the server's write-queue path.
                new SlowReaderConfig(Integer.parseInt(prop("slowReaders", smoke ? "1" : "0")),
                        Integer.parseInt(prop("slowReaderBytesPerSecond", "2048")),
                        Integer.parseInt(prop("slowReaderRequests", smoke ? "2" : "4")),
                        Integer.parseInt(prop("slowReaderMaxTokens", smoke ? "256" : "1500")),
                        Integer.parseInt(prop("slowReaderLogprobs", "20")),
                        Integer.parseInt(prop("slowReaderReceiveBuffer", "4096"))));
    }

    /** When the injection schedule ends: after it, slow readers start no new requests. */
    public Duration loadDuration() {
        return closedModel() ? step.multipliedBy(levels.size()) : openDuration;
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
