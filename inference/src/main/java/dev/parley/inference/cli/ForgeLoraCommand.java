package dev.parley.inference.cli;

import dev.parley.inference.forge.SyntheticAdapter;
import dev.parley.inference.model.LoraAdapter.Projection;
import dev.parley.inference.model.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Writes a random-weight LoRA adapter for a base model, so adapter serving is benchmarked without a tuning run. */
@Command(name = "forge-lora", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a LoRA adapter GGUF in llama.cpp's format (general.type = adapter, blk.N.<tensor>.weight.lora_a/.lora_b)",
                "with deterministic random weights for the --model base: every attention and feed-forward projection, or --projections."})
final class ForgeLoraCommand implements Callable<Integer> {
    @Mixin ModelOption model;
    @Option(names = "--rank", defaultValue = "8", description = "rank R of every delta (default ${DEFAULT-VALUE})") int rank;
    @Option(names = "--alpha", paramLabel = "A", description = "alpha; the delta's scale is alpha/R (default: 2·R)") Float alpha;
    @Option(names = "--projections", split = ",", paramLabel = "P",
            description = "the projections to adapt: Q, K, V, O, GATE, UP, DOWN (default: all)") List<Projection> projections;
    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})") long seed;
    @Option(names = "--out", required = true, paramLabel = "ADAPTER.gguf", description = "output file (replaced if it exists)") Path out;

    @Override public Integer call() throws Exception {
        if (rank < 1) throw new CliErrors.UsageException("--rank must be at least 1");
        try (Model base = Model.load(model.resolve())) {
            SyntheticAdapter spec = new SyntheticAdapter(rank, alpha == null ? 2f * rank : alpha, 0.02f,
                    projections == null ? List.of(Projection.values()) : projections, seed);
            spec.write(base, out);
            System.out.printf("wrote %s: rank %d, alpha %s, %s on %d layers of %s, %,d bytes%n", out, rank, spec.alpha(),
                    spec.projections(), base.config().layers(), base.config().name(), Files.size(out));
        }
        return 0;
    }
}
