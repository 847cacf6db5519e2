package dev.parley.inference.cli;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.ModelConfig;
import dev.parley.inference.model.Parallel;
import dev.parley.inference.tensor.Simd;
import dev.parley.inference.tokenizer.Tokenizer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true, description = {
        "Describe a GGUF model: architecture, dimensions, tensor types, vocabulary, context length, chat template.",
        "With --system: this machine as the engine sees it: vector width, cores, compute threads, read bandwidth, f32 FMA peak."})
final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "GGUF model file") Path model;
    @Option(names = "--system", description = "describe the machine instead of a model (vector width, cores, read bandwidth, FMA peak)") boolean system;
    @Option(names = "--json", description = "print JSON") boolean json;

    /** Bytes the --system read-bandwidth probe streams: well past the last-level cache of any current CPU. */
    private static final long PROBE_BYTES = 512L << 20;

    @Override public Integer call() {
        if (system == (model != null)) throw new CliErrors.UsageException("info needs either a MODEL or --system");
        if (system) {
            print(describeSystem());
            return 0;
        }
        try (Model m = Model.load(model)) {
            print(describe(m));
        }
        return 0;
    }

    private void print(Map<String, Object> info) {
        if (json) {
            System.out.println(Json.write(info));
        } else {
            info.forEach((k, v) -> System.out.println(k + ": " + (v instanceof String s && s.contains("\n") ? "\n" + s : v)));
        }
    }

    /** The vector width the kernels chose, the cores, the compute team, the read bandwidth a vector sum reaches and the FMA peak. */
    static Map<String, Object> describeSystem() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("vector", Simd.describe());
        info.put("vector_width", BenchCommand.vectorWidth());
        info.put("cores", Runtime.getRuntime().availableProcessors());
        info.put("compute_threads", Parallel.threads());
        info.put("java", Runtime.version().toString());
        try (Arena arena = Arena.ofShared()) { // the probe's threads all read it
            MemorySegment probe = arena.allocate(PROBE_BYTES, 64);
            probe.fill((byte) 1); // touch every page so the probe reads memory, not fresh zero pages
            double gbs = BenchCommand.readBandwidth(List.of(probe), Parallel.threads()) / 1e9;
            info.put("read_bandwidth_gbs", Math.round(gbs * 100) / 100.0);
            info.put("read_bandwidth_probe", "best of 5 vector sums over " + (PROBE_BYTES >> 20) + " MiB, " + Parallel.threads() + " threads");
        }
        FmaPeak.Result fma = FmaPeak.measure();
        info.put("fma_peak_gflops", Math.round(fma.gflops() * 10) / 10.0);
        info.put("fma_peak_probe", fma.describe() + ": best of " + FmaPeak.ROUNDS + " rounds of " + FmaPeak.CHAINS
                + " independent f32 FMA chains per thread, all threads at once");
        return info;
    }

    static Map<String, Object> describe(Model m) {
        ModelConfig c = m.config();
        GgufFile f = m.file();
        Tokenizer tok = m.tokenizer();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", f.path().toString());
        info.put("gguf_version", f.version());
        info.put("name", c.name());
        info.put("architecture", c.arch());
        long params = 0;
        Map<String, Integer> types = new TreeMap<>();
        for (TensorInfo t : f.tensors().values()) {
            params += t.elementCount();
            types.merge(t.type().name(), 1, Integer::sum);
        }
        info.put("parameters", params);
        info.put("file_bytes", f.fileSize());
        info.put("tensor_types", types);
        info.put("embedding_length", c.dim());
        info.put("block_count", c.layers());
        info.put("head_count", c.heads());
        info.put("head_count_kv", c.kvHeads());
        info.put("head_dim", c.headDim());
        info.put("feed_forward_length", c.ffnDim());
        info.put("context_length", c.contextLength());
        info.put("rope_freq_base", c.ropeBase());
        info.put("rope_style", c.family().ropeStyle().name());
        info.put("rms_epsilon", c.rmsEps());
        info.put("tied_embeddings", m.weights().output() == m.weights().tokenEmbedding());
        Map<String, Object> vocab = new LinkedHashMap<>();
        vocab.put("model", f.getString("tokenizer.ggml.model", null));
        vocab.put("pre", f.getString("tokenizer.ggml.pre", null));
        vocab.put("size", tok.vocabSize());
        vocab.put("bos_id", tok.bosId());
        vocab.put("eos_id", tok.eosId());
        vocab.put("add_bos", tok.addBos());
        info.put("vocabulary", vocab);
        info.put("chat_template", m.chatTemplate());
        return info;
    }
}
