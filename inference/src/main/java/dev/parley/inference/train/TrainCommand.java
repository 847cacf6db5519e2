package dev.parley.inference.train;

import dev.parley.inference.tensor.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Pretrain a small Llama on a text file (byte-level BPE vocabulary learned from it) and export GGUF.")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--corpus", required = true, paramLabel = "FILE") Path corpus;
    @Option(names = "--out", required = true, paramLabel = "MODEL.gguf") Path out;
    @Option(names = "--vocab", defaultValue = "1024", paramLabel = "N", description = "vocabulary size (default ${DEFAULT-VALUE})") int vocab;
    @Option(names = "--char-level", description = "one token per byte the corpus uses, no merges") boolean charLevel;
    @Option(names = "--dim", defaultValue = "128", paramLabel = "D") int dim;
    @Option(names = "--layers", defaultValue = "4", paramLabel = "L") int layers;
    @Option(names = "--heads", defaultValue = "4", paramLabel = "H") int heads;
    @Option(names = "--kv-heads", paramLabel = "K", description = "default: --heads") Integer kvHeads;
    @Option(names = "--ffn", paramLabel = "F", description = "default: 8/3·dim rounded up to 32") Integer ffn;
    @Option(names = "--context", defaultValue = "128", paramLabel = "C") int context;
    @Option(names = "--batch", defaultValue = "8", paramLabel = "B") int batch;
    @Option(names = "--steps", defaultValue = "1000", paramLabel = "N") int steps;
    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "X") float lr;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--val-split", defaultValue = "0.1", paramLabel = "F") double valSplit;
    @Option(names = "--eval-interval", defaultValue = "100", paramLabel = "N") int evalInterval;
    @Option(names = "--checkpoint", paramLabel = "DIR", description = "save checkpoint.bin here at every validation") Path checkpointDir;
    @Option(names = "--resume", description = "continue from DIR/checkpoint.bin") boolean resume;
    @Option(names = "--quantize", defaultValue = "q8_0", paramLabel = "TYPE", description = "q8_0 (default) or f32") String quantize;
    @Option(names = "--sample-prompt", defaultValue = "In the beginning", paramLabel = "TEXT") String samplePrompt;

    @Override public Integer call() throws Exception {
        GgmlType type = switch (quantize.toLowerCase(Locale.ROOT)) {
            case "q8_0" -> GgmlType.Q8_0;
            case "f32" -> GgmlType.F32;
            default -> throw new IllegalArgumentException("--quantize " + quantize + ": q8_0 or f32");
        };
        if (resume && checkpointDir == null) throw new IllegalArgumentException("--resume needs --checkpoint DIR");
        String text = Files.readString(corpus);
        int ffnDim = ffn != null ? ffn : (8 * dim / 3 + 31) / 32 * 32;
        LlamaConfig shape = new LlamaConfig(vocab, dim, layers, heads, kvHeads != null ? kvHeads : heads, ffnDim, context);
        Trainer.Options o = Trainer.Options.defaults(batch, steps, lr, seed, valSplit);
        Path ckpt = checkpointDir == null ? null : checkpointDir.resolve("checkpoint.bin");
        long t0 = System.nanoTime();
        Trainer tr;
        if (resume) {
            tr = Trainer.resume(ckpt, text, o);
            System.out.printf("resumed %s at step %d%n", ckpt, tr.stepsDone());
        } else {
            tr = Trainer.create(text, shape, charLevel, o);
        }
        if (checkpointDir != null) Files.createDirectories(checkpointDir);
        LlamaConfig c = tr.model().config();
        System.out.printf("vocabulary %d tokens (%.1fs); corpus %d train / %d validation tokens (%.2f chars/token)%n", c.vocab(),
                (System.nanoTime() - t0) / 1e9, tr.trainTokens(), tr.valTokens(), text.length() / (double) (tr.trainTokens() + tr.valTokens()));
        System.out.printf("model %s: %,d parameters; batch %d x %d tokens, %d steps, lr %.2g, seed %d, %d threads%n", c,
                c.parameterCount(), batch, c.context(), steps, lr, seed, Runtime.getRuntime().availableProcessors());
        long start = System.nanoTime();
        int first = tr.stepsDone();
        double val = Double.NaN;
        while (tr.stepsDone() < steps) {
            float rate = tr.learningRate();
            double loss = tr.trainStep();
            double elapsed = (System.nanoTime() - start) / 1e9;
            int done = tr.stepsDone() - first;
            double tokPerSec = (double) done * batch * c.context() / elapsed;
            double eta = elapsed / done * (steps - tr.stepsDone());
            System.out.printf("step %5d/%d  loss %.4f  lr %.2e  %,.0f tok/s  elapsed %s  eta %s%n", tr.stepsDone(), steps, loss, rate,
                    tokPerSec, time(elapsed), time(eta));
            if (tr.stepsDone() % evalInterval == 0 || tr.stepsDone() == steps) {
                val = tr.validate();
                System.out.printf("step %5d  validation loss %.4f (%.4f nats/char)%n", tr.stepsDone(), val, val / charsPerToken(text, tr));
                if (ckpt != null) tr.save(ckpt);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        GgufExport.write(tr.model(), tr.vocabulary(), type, "parley-" + corpus.getFileName().toString().replaceAll("\\..*", ""), out);
        Path png = out.resolveSibling(out.getFileName().toString().replaceAll("\\.gguf$", "") + "-loss.png");
        LossPlot.write(tr.trainCurve, tr.valCurve, String.format("%s: %s, %d steps, final val %.3f", corpus.getFileName(), c, steps, val), png);
        double lastTrain = 0;
        int k = Math.min(20, tr.trainCurve.size());
        for (int i = tr.trainCurve.size() - k; i < tr.trainCurve.size(); i++) lastTrain += tr.trainCurve.get(i)[1] / k;
        System.out.printf("done in %s: train loss (mean of last %d steps) %.4f, validation loss %.4f (%.4f nats/char)%n", time(seconds), k,
                lastTrain, val, val / charsPerToken(text, tr));
        System.out.printf("wrote %s (%s, %,d bytes) and %s%n", out, type, Files.size(out), png);
        System.out.println("samples:");
        System.out.println("--- greedy: " + Samples.generate(out, samplePrompt, 60, 0f, seed));
        for (int i = 0; i < 2; i++) System.out.println("--- temperature 0.8: " + Samples.generate(out, samplePrompt, 60, 0.8f, seed + i));
        return 0;
    }

    private static double charsPerToken(String text, Trainer tr) {
        return text.length() / (double) (tr.trainTokens() + tr.valTokens());
    }

    private static String time(double s) {
        return s >= 60 ? String.format("%dm%02ds", (int) s / 60, (int) s % 60) : String.format("%.1fs", s);
    }
}
