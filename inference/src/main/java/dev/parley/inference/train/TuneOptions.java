package dev.parley.inference.train;

import dev.parley.inference.model.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What every {@code parley tune} objective shares: the model, data, LoRA and optimizer options, the start-up lines, the
 * progress figures and the outputs (the merged GGUF, the loss plot and, for LoRA, the adapter alone).
 */
final class TuneOptions {
    @Option(names = "--model", required = true, paramLabel = "MODEL.gguf") Path model;
    @Option(names = "--data", required = true, paramLabel = "TRAIN.jsonl") Path data;
    @Option(names = "--out", required = true, paramLabel = "OUT.gguf", description = "the tuned model, adapters merged") Path out;
    @Option(names = "--val", paramLabel = "VAL.jsonl", description = "held-out data, evaluated at every --eval-interval") Path val;
    @Option(names = "--lora-rank", defaultValue = "0", paramLabel = "R", description = "LoRA rank; 0 (default) = full fine-tuning")
    int rank;
    @Option(names = "--lora-alpha", paramLabel = "A", description = "LoRA alpha (scale alpha/R; default: 2·R)") Float alpha;
    @Option(names = "--steps", defaultValue = "200", paramLabel = "N") int steps;
    @Option(names = "--lr", paramLabel = "X", description = "default 1e-4 full, 1e-3 LoRA") Float lr;
    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "examples (sft) or pairs (dpo) per step")
    int batch;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--eval-interval", defaultValue = "50", paramLabel = "N") int evalInterval;
    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "save DIR/tune-checkpoint.bin every --eval-interval steps and at the end") Path checkpointDir;
    @Option(names = "--resume", description = "continue from DIR/tune-checkpoint.bin (same data, model and options)") boolean resume;
    @Option(names = "--adapter-out", paramLabel = "ADAPTER.gguf",
            description = "also write the LoRA adapter alone, in llama.cpp's adapter format (needs --lora-rank)") Path adapterOut;

    Tuning.Options tuning() {
        return new Tuning.Options(batch, steps, lr != null ? lr : rank > 0 ? 1e-3f : 1e-4f, seed, rank, alpha != null ? alpha : 2f * rank);
    }

    /**
     * Refuses, before any work, --resume without a checkpoint to resume from, and --adapter-out where no adapter file can
     * stand for the tuning: without LoRA, or when the tuning adds tokens to the vocabulary (their embedding rows train,
     * and an adapter cannot carry rows the base does not have).
     */
    void check(FineTuneBase base) {
        if (resume && checkpointDir == null) throw new IllegalArgumentException("--resume needs --checkpoint DIR");
        if (resume && !Files.exists(checkpointFile()))
            throw new IllegalArgumentException("--resume: no checkpoint at " + checkpointFile());
        if (adapterOut == null) return;
        if (rank == 0) throw new IllegalArgumentException("--adapter-out needs --lora-rank: full fine-tuning trains no adapter");
        if (!base.addedTokens.isEmpty())
            throw new IllegalArgumentException("--adapter-out: " + model.getFileName() + " has no chat template and lacks ChatML's tokens, "
                    + "which the tuning adds " + base.addedTokens.keySet() + "; an adapter cannot carry new tokens. Tune a model that has "
                    + "them (the --out of an earlier tune has)");
    }

    boolean evaluateAfter(int step) {
        return val != null && (step % evalInterval == 0 || step == steps);
    }

    static void printModel(FineTuneBase base, String role, Path file) {
        LlamaConfig c = base.llama.config();
        System.out.printf("%s %s: %s, %,d parameters; template %s%s%n", role, file.getFileName(), c, c.parameterCount(), base.templateName,
                base.addedTokens.isEmpty() ? "" : "; added control tokens " + base.addedTokens.keySet());
    }

    void printTuning(Tuning t) {
        System.out.printf("%s: %,d trainable parameters; batch %d, %d steps, lr %.2g, seed %d, %d threads%n",
                rank > 0 ? "LoRA rank " + rank + " alpha " + t.o.loraAlpha() : "full fine-tuning", t.trainableParameters(), batch, steps,
                t.o.lr(), seed, Runtime.getRuntime().availableProcessors());
    }

    /** Where this run's timing starts: the clock, and the step and tokens a resumed run starts from. */
    record Clock(long nanos, int step, long tokens) {
        static Clock start(Tuning t) { return new Clock(System.nanoTime(), t.stepsDone(), t.tokensSeen()); }

        double seconds() { return (System.nanoTime() - nanos) / 1e9; }

        /** Training throughput since the start: tokens (padding not counted) through forward and backward per second. */
        double tokensPerSecond(Tuning t) { return (t.tokensSeen() - tokens) / seconds(); }
    }

    /** "lr, tokens/s, elapsed, eta" after a step whose learning rate was {@code rate}. */
    String progress(Tuning t, float rate, Clock clock) {
        double elapsed = clock.seconds();
        double eta = elapsed / (t.stepsDone() - clock.step()) * (steps - t.stepsDone());
        return String.format("lr %.2e  %,.0f tok/s  elapsed %s  eta %s", rate, clock.tokensPerSecond(t), time(elapsed), time(eta));
    }

    private Path checkpointFile() {
        return checkpointDir.resolve("tune-checkpoint.bin");
    }

    /** With --resume, restores the run from the checkpoint (after the reference, if any, has been scored from the model file). */
    void resumeIfAsked(Tuning t, String objective, List<double[]> trainCurve, List<double[]> valCurve) throws IOException {
        if (checkpointDir != null) Files.createDirectories(checkpointDir);
        if (!resume) return;
        t.resume(checkpointFile(), objective, List.of(trainCurve, valCurve));
        System.out.printf("resumed %s at step %d (%,d tokens seen)%n", checkpointFile(), t.stepsDone(), t.tokensSeen());
    }

    /** Saves the checkpoint every --eval-interval steps and after the last. */
    void checkpointIfDue(Tuning t, String objective, List<double[]> trainCurve, List<double[]> valCurve) {
        if (checkpointDir == null || (t.stepsDone() % evalInterval != 0 && t.stepsDone() != steps)) return;
        t.save(checkpointFile(), objective, List.of(trainCurve, valCurve));
    }

    /**
     * Merges the adapters, writes the tuned model and the loss plot, and prints what was written and the engine's greedy
     * reply on the tuned file to {@code prompt}.
     */
    void finish(FineTuneBase base, Tuning tuning, List<double[]> trainCurve, List<double[]> valCurve, String title,
                List<Map<String, Object>> prompt, Clock clock) throws IOException {
        String stem = out.getFileName().toString().replaceAll("\\.gguf$", "");
        if (adapterOut != null) {
            LoraAdapterFile.write(tuning.lora, base.engineModel.file().getString("general.architecture"), "parley-" + stem + "-lora",
                    adapterOut);
            System.out.printf("wrote %s (%,d bytes, LoRA adapter in llama.cpp's format: rank %d, alpha %s)%n", adapterOut,
                    Files.size(adapterOut), tuning.lora.rank, tuning.lora.alpha);
        }
        tuning.mergeAdapters();
        base.write(out, "parley-" + stem);
        Path png = out.resolveSibling(stem + "-loss.png");
        LossPlot.write(trainCurve, valCurve, title, png);
        System.out.printf("done: %d steps in %s, %,d tokens at %,.0f tok/s; wrote %s (%,d bytes, adapters merged) and %s%n",
                tuning.stepsDone() - clock.step(), time(clock.seconds()), tuning.tokensSeen() - clock.tokens(),
                clock.tokensPerSecond(tuning), out, Files.size(out), png);
        try (Model tuned = Model.load(out)) {
            ChatEncoder enc = new ChatEncoder(tuned.chatTemplate(), tuned.tokenizer(), Map.of());
            System.out.println("sample (greedy, the engine on " + out.getFileName() + "): " + prompt.getLast().get("content") + " -> "
                    + tuned.tokenizer().decode(Samples.greedy(tuned, enc.prompt(prompt), 60)));
        }
    }

    /** The first non-blank line of the validation data, else of the training data. */
    String firstLine() {
        try {
            return Files.readAllLines(val != null ? val : data).stream().filter(l -> !l.isBlank()).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String time(double s) {
        return s >= 60 ? String.format("%dm%02ds", (int) s / 60, (int) s % 60) : String.format("%.1fs", s);
    }
}
