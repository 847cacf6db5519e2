package dev.parley.inference.cli;

import dev.parley.inference.forge.SyntheticModel;
import dev.parley.inference.tensor.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a random-weight Llama GGUF of any shape, so benchmarks use realistic sizes without downloads. */
@Command(name = "forge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a standard Llama GGUF model with deterministic random weights in any shape (complete metadata and a",
                "SentencePiece vocabulary, so llama.cpp loads it too). Q4_0 keeps the output (or tied embedding) matrix in Q6_K, as llama-quantize does.",
                "Llama-3.2-1B's shape: --dim 2048 --layers 16 --heads 32 --kv-heads 8 --ffn 8192 --vocab 128256 --tied"})
final class ForgeCommand implements Callable<Integer> {
    @Option(names = "--arch", defaultValue = "llama", description = "architecture (only llama: Llama, Mistral and TinyLlama share it)") String arch;
    @Option(names = "--dim", required = true, description = "embedding width") int dim;
    @Option(names = "--layers", required = true, description = "transformer blocks") int layers;
    @Option(names = "--heads", required = true, description = "query heads") int heads;
    @Option(names = "--kv-heads", description = "key/value heads (default: --heads)") Integer kvHeads;
    @Option(names = "--ffn", required = true, description = "feed-forward width") int ffn;
    @Option(names = "--vocab", required = true, description = "vocabulary size (at least 311)") int vocab;
    @Option(names = "--context", defaultValue = "2048", description = "context length (default ${DEFAULT-VALUE})") int context;
    @Option(names = "--type", required = true, description = "matrix format: F32, F16, Q8_0 or Q4_0") GgmlType type;
    @Option(names = "--tied", description = "no output matrix: the embedding table doubles as it") boolean tied;
    @Option(names = "--seed", defaultValue = "42", description = "random seed (default ${DEFAULT-VALUE}); the same seed writes the same bytes") long seed;
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "output file (replaced if it exists)") Path out;

    @Override public Integer call() throws Exception {
        if (!arch.equals("llama")) throw new CliErrors.UsageException("forge writes --arch llama models only, not " + arch);
        SyntheticModel spec = new SyntheticModel(dim, layers, heads, kvHeads == null ? heads : kvHeads, ffn, vocab, context, type, tied, seed);
        long t0 = System.nanoTime();
        spec.write(out);
        System.out.printf("wrote %s: %,d parameters, %s matrices, %s output%s, %,d bytes in %.1f s%n", out, spec.parameterCount(), type,
                spec.headType(), tied ? " (tied embedding)" : "", Files.size(out), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
