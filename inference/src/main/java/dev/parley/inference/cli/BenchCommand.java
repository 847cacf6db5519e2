package dev.parley.inference.cli;

import dev.parley.inference.constrain.CompiledGrammar;
import dev.parley.inference.constrain.Grammar;
import dev.parley.inference.constrain.GrammarException;
import dev.parley.inference.constrain.Grammars;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.constrain.TokenMatcher;
import dev.parley.inference.constrain.TokenVocabulary;
import dev.parley.inference.engine.EngineConfig;
import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.kv.PagedKvCache;
import dev.parley.inference.model.Batch;
import dev.parley.inference.model.ForwardBuffers;
import dev.parley.inference.model.LayerWeights;
import dev.parley.inference.model.LoraAdapter;
import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.ModelWeights;
import dev.parley.inference.model.Parallel;
import dev.parley.inference.model.Transformer;
import dev.parley.inference.sampling.Sampler;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.QuantizedActivation;
import dev.parley.inference.tensor.Simd;
import dev.parley.inference.tensor.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Throughput of the batched forward pass on this machine, with the memory-read bandwidth measured in the same run so
 * the figures are ratios, not absolute claims: decode tokens/s per batch size, prompt tokens/s, and the weight bytes
 * decode streams per second as a fraction of what a plain streaming sum reads over the same weights.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure decode and prompt throughput of the batched forward pass.")
final class BenchCommand implements Callable<Integer> {
    private static final VectorSpecies<Long> LONGS = Simd.LONGS;

    @Mixin ModelOption model;
    @Option(names = "--synthetic", split = ",", paramLabel = "TYPE",
            description = "instead of a model: compare the per-row dot kernel with the tiled kernel on random Llama-3.2-1B-shaped "
            + "matrices of these types (Q8_0, Q4_0, ...)") GgmlType[] synthetic;
    @Option(names = "--threads", paramLabel = "T",
            description = "threads of the compute team, the caller included (default: one per core)") Integer threads;
    @Option(names = "--prompt-tokens", paramLabel = "P", defaultValue = "128",
            description = "prompt length for the prefill figure (default ${DEFAULT-VALUE})") int promptTokens;
    @Option(names = {"--gen-tokens", "--tokens"}, paramLabel = "G", defaultValue = "32",
            description = "decode steps timed per run (default ${DEFAULT-VALUE})") int genTokens;
    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
            description = "sequences decoding together for the aggregate figure (default ${DEFAULT-VALUE})") int parallel;
    @Option(names = "--batch", split = ",", paramLabel = "B",
            description = "more decode batch sizes to report (e.g. 4,8,16)") int[] batches = {};
    @Option(names = "--rounds", paramLabel = "R", defaultValue = "5",
            description = "timed runs per figure; the median is reported (default ${DEFAULT-VALUE})") int rounds;
    @Option(names = "--chunk", paramLabel = "C", defaultValue = "128",
            description = "prefill rows per step (default ${DEFAULT-VALUE})") int chunk;
    @Option(names = "--matmul", paramLabel = "MODE", defaultValue = "GGML") MatmulMode mode;
    @Option(names = "--kv", paramLabel = "FORMAT", defaultValue = "F32",
            description = "KV cache format, F32 (the engine's default) or F16") KvFormat kvFormat;
    @Option(names = "--lora", paramLabel = "ADAPTER.gguf",
            description = "also time decode with LoRA adapters: sequence s of a batch uses adapter s mod K of the K given (the rows "
            + "of all adapters share each step), rounds alternating with the base alone; repeatable") List<Path> loras;
    @Option(names = "--json", description = "print one JSON object instead of text") boolean json;
    @Option(names = "--n", paramLabel = "N",
            description = "instead of the throughput figures: N answers to one --prompt-tokens prompt as one request (prefilled "
            + "once, forked in the KV cache) against N separate requests for it, --gen-tokens each, through the engine: "
            + "seconds, peak KV blocks, rows computed") Integer choices;
    @Option(names = "--json-schema", paramLabel = "FILE",
            description = "also time decode under this JSON Schema: each sequence masks its logits to the tokens its matcher "
            + "allows, takes the best one and advances (a finished document starts the next); rounds alternate with the "
            + "unconstrained ones and each starts with a cold mask cache") Path jsonSchema;

    @Override public Integer call() {
        if (threads != null) {
            if (threads < 1) throw new CliErrors.UsageException("--threads must be at least 1");
            System.setProperty(Parallel.THREADS_PROPERTY, Integer.toString(threads));
            if (Parallel.threads() != threads) throw new CliErrors.UsageException("the compute team already runs "
                    + Parallel.threads() + " threads");
        }
        if (rounds < 1 || genTokens < 1 || promptTokens < 1 || parallel < 1 || chunk < 1) {
            throw new CliErrors.UsageException("--rounds, --gen-tokens, --prompt-tokens, --parallel and --chunk must be positive");
        }
        if (synthetic != null) {
            for (GgmlType t : synthetic) kernels(t);
            return 0;
        }
        if (choices != null && choices < 1) throw new CliErrors.UsageException("--n must be positive");
        if (loras != null && jsonSchema != null) throw new CliErrors.UsageException("--lora and --json-schema are measured separately");
        Grammar grammar = jsonSchema == null ? null : schemaGrammar(jsonSchema); // refused before the model loads
        try (Model m = Model.load(model.resolve())) {
            if (choices != null) {
                EngineConfig config = new EngineConfig(choices, 64, chunk, mode)
                        .withKvCache(EngineConfig.DEFAULT_KV_BUDGET, EngineConfig.DEFAULT_BLOCK_SIZE, kvFormat);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", m.config().name());
                r.put("threads", Parallel.threads());
                r.put("vector", vectorWidth());
                r.putAll(new ChoicesBench(m, config, choices, promptTokens, genTokens).measure(rounds));
                System.out.print(json ? Json.write(r) + "\n" : String.format("model %s, %d threads, %s%n", m.config().name(),
                        Parallel.threads(), Simd.describe()) + ChoicesBench.describe(r));
                return 0;
            }
            Transformer tf = m.transformer(mode);
            LoraAdapter[] adapters = loras == null ? null : loras.stream()
                    .map(f -> m.loadAdapter(f.getFileName().toString(), f)).toArray(LoraAdapter[]::new);
            Map<Integer, Double> adaptedDecode = new TreeMap<>();
            List<MemorySegment> weights = matrices(m.weights());
            long stepBytes = weights.stream().mapToLong(MemorySegment::byteSize).sum();
            int ctx = m.config().contextLength(), warm = 4;
            int prompt = Math.min(promptTokens, ctx - 1), steps = Math.min(genTokens, ctx - 8 - warm);
            if (!json) System.out.printf("model %s, %s matmul, %d threads, %s; weights read per decode step %.1f MB%n",
                    m.config().name(), mode, Parallel.threads(), Simd.describe(), stepBytes / 1e6);
            double prefill = prefill(m, tf, prompt);
            if (!json) System.out.printf("prefill: %d tokens in chunks of %d: %.1f tok/s%n", prompt, chunk, prefill);
            Map<Integer, Double> decode = new TreeMap<>();
            Map<Integer, Double> constrainedDecode = new TreeMap<>();
            Map<Integer, Double> maskHitRate = new TreeMap<>();
            Map<Integer, Double> warmDecode = new TreeMap<>();
            Map<Integer, Double> warmHitRate = new TreeMap<>();
            TokenVocabulary vocabulary = grammar == null ? null : TokenVocabulary.of(m.tokenizer());
            CompiledGrammar compiled = grammar == null ? null : grammar.compile();
            for (int b : IntStream.concat(IntStream.of(1, parallel), Arrays.stream(batches)).distinct().toArray()) {
                if (adapters != null) {
                    // one round of each at a time, so drift in the machine's speed hits both alike
                    double[] base = new double[rounds], adapted = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        base[r] = decode(m, tf, b, steps, warm, null, null, 1, r == 0 ? WARM_UP_NANOS : 0);
                        adapted[r] = decode(m, tf, b, steps, warm, null, adapters, 1, r == 0 ? WARM_UP_NANOS : 0);
                    }
                    decode.put(b, median(base));
                    adaptedDecode.put(b, median(adapted));
                } else if (compiled == null) {
                    decode.put(b, decode(m, tf, b, steps, warm, null, null, rounds, WARM_UP_NANOS));
                } else {
                    double[][] pair = decodePair(m, tf, b, steps, warm, compiled, vocabulary);
                    decode.put(b, median(pair[0]));
                    constrainedDecode.put(b, median(pair[1]));
                    maskHitRate.put(b, median(pair[2]));
                    warmDecode.put(b, median(pair[3]));
                    warmHitRate.put(b, pair[4][rounds - 1]);
                }
            }
            // probed last, right after the decode runs it is compared with, over the same weights
            double bandwidth = readBandwidth(weights, Parallel.threads());
            FmaPeak.Result fma = FmaPeak.measure();
            ForwardMacs macs = new ForwardMacs(m.config(), m.weights());
            double prefillGflops = prefill * 2.0 * macs.prefill(prompt, chunk) / prompt / 1e9;
            Map<Integer, Double> decodeGflops = new TreeMap<>();
            decode.forEach((b, v) -> decodeGflops.put(b, v * 2.0 * macs.decode(b, DECODE_START + warm, steps) / ((double) b * steps) / 1e9));
            if (json) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", m.config().name());
                r.put("threads", Parallel.threads());
                r.put("vector", vectorWidth());
                r.put("prompt_tokens", prompt);
                r.put("gen_tokens", steps);
                r.put("prefill_tokens_per_s", round(prefill));
                r.put("decode_tokens_per_s", round(decode.get(1)));
                r.put("aggregate_decode_tokens_per_s", round(decode.get(parallel)));
                r.put("parallel", parallel);
                r.put("weights_bytes", stepBytes);
                r.put("memory_read_gbs", round(bandwidth / 1e9));
                r.put("decode_bandwidth_fraction", fraction(decode.get(1) * stepBytes / bandwidth));
                Map<String, Object> byBatch = new LinkedHashMap<>();
                decode.forEach((b, v) -> byBatch.put(Integer.toString(b), round(v)));
                r.put("aggregate_decode_by_batch", byBatch);
                r.put("fma_peak_gflops", round(fma.gflops()));
                r.put("flops_counted", ForwardMacs.COUNTED);
                r.put("prefill_gflops", round(prefillGflops));
                r.put("prefill_fma_fraction", fraction(prefillGflops / fma.gflops()));
                r.put("aggregate_decode_gflops", round(decodeGflops.get(parallel)));
                r.put("aggregate_decode_fma_fraction", fraction(decodeGflops.get(parallel) / fma.gflops()));
                Map<String, Object> gflopsByBatch = new LinkedHashMap<>(), fmaByBatch = new LinkedHashMap<>();
                decodeGflops.forEach((b, v) -> {
                    gflopsByBatch.put(Integer.toString(b), round(v));
                    fmaByBatch.put(Integer.toString(b), fraction(v / fma.gflops()));
                });
                r.put("decode_gflops_by_batch", gflopsByBatch);
                r.put("decode_fma_fraction_by_batch", fmaByBatch);
                if (adapters != null) {
                    r.put("lora_adapters", loras.stream().map(Path::toString).toList());
                    Map<String, Object> adapted = new LinkedHashMap<>();
                    adaptedDecode.forEach((b, v) -> adapted.put(Integer.toString(b), round(v)));
                    r.put("lora_decode_by_batch", adapted);
                }
                if (compiled != null) {
                    r.put("json_schema", jsonSchema.toString());
                    Map<String, Object> constrained = new LinkedHashMap<>();
                    constrainedDecode.forEach((b, v) -> constrained.put(Integer.toString(b), round(v)));
                    r.put("constrained_decode_by_batch", constrained);
                    Map<String, Object> hits = new LinkedHashMap<>();
                    maskHitRate.forEach((b, v) -> hits.put(Integer.toString(b), Math.round(v * 1000) / 1000.0));
                    r.put("mask_cache_hit_rate_by_batch", hits);
                    Map<String, Object> warmed = new LinkedHashMap<>();
                    warmDecode.forEach((b, v) -> warmed.put(Integer.toString(b), round(v)));
                    r.put("warm_cache_constrained_decode_by_batch", warmed);
                    Map<String, Object> warmHits = new LinkedHashMap<>();
                    warmHitRate.forEach((b, v) -> warmHits.put(Integer.toString(b), Math.round(v * 1000) / 1000.0));
                    r.put("warm_cache_hit_rate_by_batch", warmHits);
                }
                System.out.println(Json.write(r));
            } else {
                System.out.printf("prefill: %.1f GFLOP/s, %.3f of the FMA peak%n", prefillGflops, prefillGflops / fma.gflops());
                decode.forEach((b, v) -> System.out.printf("decode batch %d: %.1f tok/s aggregate (%.1f per sequence); weight "
                        + "bytes/s ÷ bandwidth = %.2f; %.1f GFLOP/s, %.3f of the FMA peak%n",
                        b, v, v / b, v / b * stepBytes / bandwidth, decodeGflops.get(b), decodeGflops.get(b) / fma.gflops()));
                adaptedDecode.forEach((b, v) -> System.out.printf("decode batch %d over %d LoRA adapters: %.1f tok/s aggregate, %.1f%% of "
                        + "the base alone%n", b, adapters.length, v, 100 * v / decode.get(b)));
                constrainedDecode.forEach((b, v) -> System.out.printf("decode batch %d under %s, cold mask cache: %.1f tok/s aggregate, "
                        + "%.1f%% of unconstrained, hit rate %.1f%%; warm cache: %.1f tok/s, %.1f%%, hit rate %.1f%%%n", b, jsonSchema, v,
                        100 * v / decode.get(b), 100 * maskHitRate.get(b), warmDecode.get(b), 100 * warmDecode.get(b) / decode.get(b),
                        100 * warmHitRate.get(b)));
                System.out.printf("read bandwidth (streaming sum over the weights, %d threads): %.2f GB/s%n", Parallel.threads(),
                        bandwidth / 1e9);
                System.out.printf("FMA peak: %s; GFLOP/s count %s%n", fma.describe(), ForwardMacs.COUNTED);
            }
        }
        return 0;
    }

    /** The kernels' vector width, as {@code bench --json} and {@code info --system --json} report it. */
    static Map<String, Object> vectorWidth() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("bits", Simd.VECTORIZED ? Simd.BITS : 0);
        v.put("float_lanes", Simd.VECTORIZED ? Simd.LANES : 1);
        v.put("native", Simd.VECTORIZED);
        v.put("jvm_preferred_bits", Simd.PREFERRED_BITS);
        return v;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** A fraction of a physical limit, to 3 decimals. */
    private static double fraction(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** Every matrix the forward pass multiplies (the embedding table is only looked up, unless tied to the output). */
    private static List<MemorySegment> matrices(ModelWeights w) {
        Map<MemorySegment, Boolean> seen = new IdentityHashMap<>();
        List<WeightMatrix> all = new ArrayList<>();
        for (LayerWeights l : w.layers()) all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()));
        all.add(w.output());
        List<MemorySegment> out = new ArrayList<>();
        for (WeightMatrix x : all) if (seen.put(x.data(), true) == null) out.add(x.data());
        return out;
    }

    /**
     * Bytes each timed pass of the read-bandwidth probe streams at least, sweeping small weights several times: a pass
     * over a tiny model's 1.4 MB alone lasts tens of microseconds, so a thread that waits for a core on a loaded machine
     * dominated it (bench reported 0.0 GB/s at load 13). Repeated sweeps read what decode reads, from the same caches.
     */
    private static final long MIN_PASS_BYTES = 64L << 20;

    /**
     * Best of 5 passes of a vector sum (the kernels' width) over the segments, each split into one contiguous share per
     * thread of the compute team (already running, so no thread start is timed), repeated within a pass up to
     * {@link #MIN_PASS_BYTES}.
     */
    static double readBandwidth(List<MemorySegment> segments, int threads) {
        long bytes = segments.stream().mapToLong(MemorySegment::byteSize).sum();
        long sweeps = Math.max(1, (MIN_PASS_BYTES + bytes - 1) / bytes);
        long[] sums = new long[threads];
        double best = 0;
        for (int pass = 0; pass < 5; pass++) {
            long t0 = System.nanoTime();
            Parallel.forChunks(threads, 1, (from, to) -> {
                for (int part = from; part < to; part++) {
                    for (long k = 0; k < sweeps; k++) sums[part] += sumPart(segments, part, threads);
                }
            });
            double secs = (System.nanoTime() - t0) / 1e9;
            best = Math.max(best, sweeps * bytes / secs);
        }
        if (Arrays.stream(sums).sum() == 42) System.out.print(""); // keep the sums alive
        return best;
    }

    /** Part {@code part} of {@code parts} of the segments summed as longs, one vector of the chosen width at a time. */
    private static long sumPart(List<MemorySegment> segments, int part, int parts) {
        if (!Simd.VECTORIZED) {
            long sum = 0;
            for (MemorySegment s : segments) {
                long n = s.byteSize() / 8, from = n * part / parts, to = n * (part + 1) / parts;
                for (long i = from; i < to; i++) sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, i * 8);
            }
            return sum;
        }
        LongVector acc = LongVector.zero(LONGS);
        int width = LONGS.vectorByteSize();
        for (MemorySegment s : segments) {
            long n = s.byteSize() / width, from = n * part / parts, to = n * (part + 1) / parts;
            for (long i = from; i < to; i++) acc = acc.add(LongVector.fromMemorySegment(LONGS, s, i * width, ByteOrder.LITTLE_ENDIAN));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Prompt tokens each decoding sequence starts with: its timed steps run at positions from this plus the warm steps. */
    private static final int DECODE_START = 4;

    /**
     * Untimed runs before each figure, at least this long: C2 compiles the large batched kernels seconds after their
     * first use, so a short warm-up measures the interpreter (a 128-token prefill of the 110M model: 160 tok/s after
     * one pass, 660 after twenty).
     */
    private static final long WARM_UP_NANOS = 3_000_000_000L;

    /** Median prompt tokens/s of {@code rounds} prefills of a fresh cache, after warm-up prefills for the JIT. */
    private double prefill(Model m, Transformer tf, int prompt) {
        int bs = 16, blocks = prompt / bs + 2;
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        ForwardBuffers buf = new ForwardBuffers(m.config());
        Batch batch = new Batch();
        try (PagedKvCache kv = new PagedKvCache(m.config().kvShape(), kvFormat, bs, blocks)) {
            double[] rates = new double[rounds];
            long warmUntil = System.nanoTime() + WARM_UP_NANOS;
            for (int pass = -1; pass < rounds; pass++) {
                if (pass == 0 && System.nanoTime() < warmUntil) pass = -1; // keep warming up
                long t0 = System.nanoTime();
                for (int from = 0; from < prompt; from += chunk) {
                    batch.clear();
                    int to = Math.min(prompt, from + chunk);
                    for (int p = from; p < to; p++) batch.add(1 + p % (m.config().vocabSize() - 1), p, table, p == to - 1);
                    tf.forward(batch, kv, buf);
                }
                if (pass >= 0) rates[pass] = prompt / ((System.nanoTime() - t0) / 1e9);
            }
            return median(rates);
        }
    }

    private static Grammar schemaGrammar(Path file) {
        try {
            return Grammars.jsonSchema(Files.readString(file));
        } catch (IOException e) {
            throw new CliErrors.UsageException("cannot read --json-schema " + file + ": " + e.getMessage());
        } catch (GrammarException e) {
            throw new CliErrors.UsageException("--json-schema " + file + ": " + e.getMessage());
        }
    }

    /**
     * Unconstrained and constrained decode of b sequences, rounds alternating so drift in the machine's speed hits
     * all alike: per round {aggregate tok/s unconstrained, constrained with a cold mask cache (a fresh one each round:
     * the first request of a new schema), its cache hit rate, constrained with a warm cache (one constraint shared by
     * every round, as a server shares a cached schema between requests), its cumulative hit rate}.
     */
    private double[][] decodePair(Model m, Transformer tf, int b, int steps, int warm, CompiledGrammar grammar,
                                  TokenVocabulary vocabulary) {
        double[][] out = new double[5][rounds];
        TokenConstraint shared = new TokenConstraint(grammar, vocabulary);
        // the first runs warm the JIT up for both paths; then one timed round of each at a time
        decode(m, tf, b, steps, warm, null, null, 1, WARM_UP_NANOS);
        decode(m, tf, b, steps, warm, shared, null, 1, WARM_UP_NANOS);
        for (int r = 0; r < rounds; r++) {
            out[0][r] = decode(m, tf, b, steps, warm, null, null, 1, 0);
            TokenConstraint cold = new TokenConstraint(grammar, vocabulary);
            out[1][r] = decode(m, tf, b, steps, warm, cold, null, 1, 0);
            out[2][r] = cold.cacheStats().hitRate();
            out[3][r] = decode(m, tf, b, steps, warm, shared, null, 1, 0);
            out[4][r] = shared.cacheStats().hitRate();
        }
        return out;
    }

    /**
     * Median aggregate tokens/s of {@code rounds} runs of b sequences decoding together, each with its own blocks:
     * a short distinct prompt each, {@code warm} untimed steps, then {@code steps} timed ones; untimed runs first,
     * at least one and for at least {@code warmUpNanos}.
     * With a constraint, each sequence's next token is the best one its matcher allows (the engine's mask, then the
     * greedy pick), and the matcher advances on it.
     */
    private double decode(Model m, Transformer tf, int b, int steps, int warm, TokenConstraint constraint, LoraAdapter[] adapters,
                          int rounds, long warmUpNanos) {
        TokenMatcher[] matchers = new TokenMatcher[b];
        long[] mask = new long[(m.config().vocabSize() + 63) >>> 6];
        int bs = 16, start = DECODE_START, perSeq = (start + warm + steps) / bs + 2;
        int[][] tables = new int[b][perSeq];
        for (int s = 0; s < b; s++) for (int i = 0; i < perSeq; i++) tables[s][i] = s * perSeq + i;
        ForwardBuffers buf = new ForwardBuffers(m.config());
        Batch batch = new Batch();
        double[] rates = new double[rounds];
        try (PagedKvCache kv = new PagedKvCache(m.config().kvShape(), kvFormat, bs, b * perSeq)) {
            long warmUntil = System.nanoTime() + warmUpNanos;
            for (int round = -1; round < rounds; round++) { // round -1 warms the JIT up; each rewrites the same positions
                if (round == 0 && System.nanoTime() < warmUntil) round = -1;
                int[] next = new int[b];
                for (int s = 0; s < b; s++) {
                    batch.clear();
                    LoraAdapter adapter = adapters == null ? null : adapters[s % adapters.length];
                    for (int p = 0; p < start; p++)
                        batch.add(1 + (s * 7 + p) % (m.config().vocabSize() - 1), p, tables[s], p == start - 1, false, adapter);
                    if (constraint != null) matchers[s] = constraint.newMatcher();
                    next[s] = pick(tf.forward(batch, kv, buf)[0], constraint, matchers, s, mask);
                }
                long t0 = 0;
                for (int step = 0; step < warm + steps; step++) {
                    if (step == warm) t0 = System.nanoTime();
                    batch.clear();
                    for (int s = 0; s < b; s++)
                        batch.add(next[s], start + step, tables[s], true, false, adapters == null ? null : adapters[s % adapters.length]);
                    float[][] logits = tf.forward(batch, kv, buf);
                    for (int s = 0; s < b; s++) next[s] = pick(logits[s], constraint, matchers, s, mask);
                }
                if (round >= 0) rates[round] = (double) b * steps / ((System.nanoTime() - t0) / 1e9);
            }
        }
        return median(rates);
    }

    /** The greedy next token, within what sequence s's matcher allows when there is a constraint. */
    private static int pick(float[] logits, TokenConstraint constraint, TokenMatcher[] matchers, int s, long[] mask) {
        if (constraint == null) return argmax(logits);
        TokenMatcher matcher = matchers[s];
        matcher.allowedTokens(mask);
        Arrays.fill(mask, matcher.maskWords(), mask.length, 0L);
        Sampler.keepOnlyAllowed(logits, mask);
        int token = argmax(logits);
        matcher.accept(token);
        if (matcher.hasEnded() || matcher.isComplete() && !matcher.canContinue()) matchers[s] = constraint.newMatcher();
        return token;
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** Llama-3.2-1B's matrices as rows x cols, one decode step's worth: 16 x (wq, wk, wv, wo, w1, w3, w2), then the head. */
    private static int[][] oneBillionShapes() {
        List<int[]> shapes = new ArrayList<>();
        for (int l = 0; l < 16; l++) {
            shapes.addAll(List.of(new int[] {2048, 2048}, new int[] {512, 2048}, new int[] {512, 2048}, new int[] {2048, 2048},
                    new int[] {8192, 2048}, new int[] {8192, 2048}, new int[] {2048, 8192}));
        }
        shapes.add(new int[] {128256, 2048});
        return shapes.toArray(int[][]::new);
    }

    /**
     * Matmul-only decode steps (every matrix of the model times B activation rows, activations quantized per matrix
     * as the forward pass does) with the old kernel (each weight row dotted with each activation row) and the tiled
     * one, interleaved in one process on the same random weights and the same thread team, plus the streaming-read
     * bandwidth over those weights: the printed figures are ratios, not absolute claims about the machine.
     */
    private void kernels(GgmlType type) {
        int[][] shapes = oneBillionShapes();
        long bytes = 0;
        for (int[] s : shapes) bytes += (long) s[0] * type.bytesFor(s[1]);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment all = arena.allocate(bytes, 64);
            SyntheticModel.randomWeights(all, type, 42);
            WeightMatrix[] ms = new WeightMatrix[shapes.length];
            long off = 0;
            for (int i = 0; i < shapes.length; i++) {
                long size = (long) shapes[i][0] * type.bytesFor(shapes[i][1]);
                ms[i] = WeightMatrix.of(type, all.asSlice(off, size), shapes[i][0], shapes[i][1]);
                off += size;
            }
            double bandwidth = readBandwidth(List.of(all), Parallel.threads());
            System.out.printf("%s, Llama-3.2-1B shapes (113 matmuls per step), %.3f GB of weights per step; streaming-read "
                    + "bandwidth %.2f GB/s%n",
                    type, bytes / 1e9, bandwidth / 1e9);
            int maxB = Arrays.stream(batches).max().orElse(1);
            float[] x = new float[maxB * 8192];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            QuantizedActivation[] qa = new QuantizedActivation[maxB];
            for (int t = 0; t < maxB; t++) qa[t] = new QuantizedActivation(8192);
            float[] out = new float[maxB * 128256];
            for (int b : batches) {
                double[] oldMs = new double[rounds], newMs = new double[rounds];
                for (int w = 0; w < 2; w++) { // warm-up, also for the JIT
                    step(ms, x, qa, out, b, false);
                    step(ms, x, qa, out, b, true);
                }
                for (int r = 0; r < rounds; r++) {
                    oldMs[r] = step(ms, x, qa, out, b, false);
                    newMs[r] = step(ms, x, qa, out, b, true);
                }
                double o = median(oldMs), n = median(newMs);
                System.out.printf("%s batch %2d: per-row dot %6.1f tok/s, tiled %6.1f tok/s, tiled/dot %.2f; weight bytes/s ÷ "
                        + "bandwidth: dot %.2f, tiled %.2f%n",
                        type, b, b * 1e3 / o, b * 1e3 / n, o / n, bytes / (o / 1e3) / bandwidth, bytes / (n / 1e3) / bandwidth);
            }
        }
    }

    /** One matmul-only decode step over all matrices; returns its milliseconds. */
    private static double step(WeightMatrix[] ms, float[] x, QuantizedActivation[] qa, float[] out, int n, boolean tiled) {
        long t0 = System.nanoTime();
        for (WeightMatrix m : ms) {
            int rows = m.rows(), cols = m.cols();
            Parallel.forEach(n, t -> qa[t].quantize(m.activationType(), x, t * cols, cols));
            if (tiled) {
                Parallel.forChunks(rows, 16, (from, to) -> m.matmul(qa, n, out, rows, from, to));
            } else {
                Parallel.forChunks(rows, 16, (from, to) -> {
                    for (int r = from; r < to; r++) for (int t = 0; t < n; t++) out[t * rows + r] = m.dot(r, qa[t]);
                });
            }
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
