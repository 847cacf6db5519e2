package dev.parley.inference.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inference/benchmarks.sh} replaces only its own section of BENCHMARKS.md: run on a copy of the real file with a
 * stub launcher standing in for {@code parley forge} and {@code parley bench} (fixed JSON), the hand-written sections
 * come out byte for byte and the section between the markers holds the stub's figures.
 */
class BenchmarksScriptTest {
    private static final String BEGIN = "<!-- benchmarks.sh:begin -->", END = "<!-- benchmarks.sh:end -->";
    @TempDir Path tmp;

    /** Forge writes a non-empty file at --out; bench prints one JSON line with recognizable figures. */
    private Path stubLauncher() throws IOException {
        Path stub = tmp.resolve("parley-stub");
        Files.writeString(stub, """
                #!/usr/bin/env bash
                case "$1" in
                  forge) while [ $# -gt 0 ]; do [ "$1" = --out ] && echo stub > "$2"; shift; done ;;
                  bench) echo '{"model":"stub","prefill_tokens_per_s":111.1,"decode_tokens_per_s":22.2,"weights_bytes":1000000,\
                "memory_read_gbs":33.3,"decode_bandwidth_fraction":0.444,"aggregate_decode_by_batch":{"1":22.2,"4":55.5,"8":66.6,\
                "16":77.7},"fma_peak_gflops":500.0,"prefill_gflops":88.8,"prefill_fma_fraction":0.178}' ;;
                  *) exit 3 ;;
                esac
                """);
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        return stub;
    }

    private int runScript(Path out) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("benchmarks.sh").toAbsolutePath().toString(), "--models",
                tmp.resolve("models").toString(), "--rounds", "1", "--out", out.toString());
        pb.environment().put("PARLEY_LAUNCHER", stubLauncher().toString());
        pb.redirectErrorStream(true).redirectOutput(tmp.resolve("script.log").toFile());
        return pb.start().waitFor();
    }

    @Test
    void replacesOnlyItsSectionAndKeepsTheHandWrittenOnes() throws Exception {
        Path out = tmp.resolve("BENCHMARKS.md");
        String original = Files.readString(Path.of("BENCHMARKS.md"));
        Files.writeString(out, original);
        assertEquals(0, runScript(out), Files.readString(tmp.resolve("script.log")));
        String after = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(before(original), before(after), "text before the begin marker");
        assertEquals(afterEnd(original), afterEnd(after), "hand-written sections after the end marker");
        assertTrue(afterEnd(original).contains("## Vector widths"), "the real file has hand sections to keep");
        String section = after.substring(after.indexOf(BEGIN), after.indexOf(END));
        assertTrue(section.contains("| 1B Q4_0: decode, 1 sequence | 22.2 |"), section);
        assertTrue(section.contains("| 1B Q4_0: aggregate decode, 16 sequences | 77.7 |"), section);
        assertTrue(section.contains("| 33.3 GB/s | 22.2 tok/s | 0.44 | 500 GFLOP/s | 88.8 GFLOP/s | 0.178 |"), section);
        assertNotEquals(original, after);
        // a second run replaces the section it wrote, not more
        assertEquals(0, runScript(out));
        assertEquals(after.replaceAll("on \\d{4}-\\d\\d-\\d\\d", ""), Files.readString(out).replaceAll("on \\d{4}-\\d\\d-\\d\\d", ""));
    }

    @Test
    void refusesAFileWithoutItsMarkersAndWritesANewOneWithThem() throws Exception {
        Path handOnly = tmp.resolve("hand.md");
        Files.writeString(handOnly, "# Notes\n\nwritten by hand\n");
        assertEquals(2, runScript(handOnly));
        assertEquals("# Notes\n\nwritten by hand\n", Files.readString(handOnly), "left as it was");
        assertTrue(Files.readString(tmp.resolve("script.log")).contains(BEGIN), "the error names the marker");

        Path fresh = tmp.resolve("new.md");
        assertEquals(0, runScript(fresh));
        List<String> lines = Files.readAllLines(fresh);
        assertEquals(BEGIN, lines.getFirst());
        assertEquals(END, lines.getLast());
    }

    private static String before(String text) {
        return text.substring(0, text.indexOf(BEGIN));
    }

    private static String afterEnd(String text) {
        return text.substring(text.indexOf(END) + END.length());
    }
}
