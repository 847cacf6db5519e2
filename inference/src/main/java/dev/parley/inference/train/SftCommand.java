package dev.parley.inference.train;

import dev.parley.inference.model.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised fine-tuning on conversations (JSON Lines {\"messages\":[{\"role\",\"content\"}...]}) rendered "
                + "through the model's chat template (ChatML when it has none), the loss on the assistant turns only; "
                + "writes a merged GGUF.")
final class SftCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "BASE.gguf") Path model;
    @Option(names = "--data", required = true, paramLabel = "TRAIN.jsonl") Path data;
    @Option(names = "--out", required = true, paramLabel = "OUT.gguf") Path out;
    @Option(names = "--val", paramLabel = "VAL.jsonl", description = "validation conversations (loss at every --eval-interval)") Path val;
    @Option(names = "--lora-rank", defaultValue = "0", paramLabel = "R", description = "LoRA rank; 0 (default) = full fine-tuning")
    int rank;
    @Option(names = "--lora-alpha", paramLabel = "A", description = "LoRA alpha (scale alpha/R; default: 2·R)") Float alpha;
    @Option(names = "--steps", defaultValue = "200", paramLabel = "N") int steps;
    @Option(names = "--lr", paramLabel = "X", description = "default 1e-4 full, 1e-3 LoRA") Float lr;
    @Option(names = "--batch", defaultValue = "8", paramLabel = "B") int batch;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--eval-interval", defaultValue = "50", paramLabel = "N") int evalInterval;

    @Override public Integer call() throws Exception {
        SftTrainer.Options o = new SftTrainer.Options(batch, steps, lr != null ? lr : rank > 0 ? 1e-3f : 1e-4f, seed, rank,
                alpha != null ? alpha : 2f * rank);
        try (FineTuneBase base = FineTuneBase.load(model)) {
            LlamaConfig c = base.llama.config();
            List<ChatEncoder.Example> train = SftData.read(data, base.encoder, c.context());
            List<ChatEncoder.Example> valSet = val == null ? null : SftData.read(val, base.encoder, c.context());
            long learned = train.stream().mapToLong(ChatEncoder.Example::learnedCount).sum();
            long total = train.stream().mapToLong(e -> e.tokens().length).sum();
            System.out.printf("model %s: %s, %,d parameters; template %s%s%n", model.getFileName(), c, c.parameterCount(),
                    base.templateName,
                    base.addedTokens.isEmpty() ? "" : "; added control tokens " + base.addedTokens.keySet());
            System.out.printf("data %d conversations, %,d tokens, %,d learned (assistant turns)%s%n", train.size(), total, learned,
                    valSet == null ? "" : "; validation " + valSet.size() + " conversations");
            SftTrainer tr = new SftTrainer(base, train, o);
            System.out.printf("%s: %,d trainable parameters; batch %d, %d steps, lr %.2g, seed %d, %d threads%n",
                    rank > 0 ? "LoRA rank " + rank + " alpha " + o.loraAlpha() : "full fine-tuning", tr.trainableParameters(), batch, steps,
                    o.lr(), seed, Runtime.getRuntime().availableProcessors());
            long start = System.nanoTime();
            double valLoss = Double.NaN;
            if (valSet != null) System.out.printf("step %5d  validation loss %.4f%n", 0, valLoss = tr.validate(valSet));
            while (tr.stepsDone() < steps) {
                float rate = tr.learningRate();
                double loss = tr.trainStep();
                double elapsed = (System.nanoTime() - start) / 1e9;
                double eta = elapsed / tr.stepsDone() * (steps - tr.stepsDone());
                System.out.printf("step %5d/%d  loss %.4f  lr %.2e  elapsed %s  eta %s%n", tr.stepsDone(), steps, loss, rate,
                        time(elapsed), time(eta));
                if (valSet != null && (tr.stepsDone() % evalInterval == 0 || tr.stepsDone() == steps))
                    System.out.printf("step %5d  validation loss %.4f%n", tr.stepsDone(), valLoss = tr.validate(valSet));
            }
            tr.mergeAdapters();
            String name = "parley-" + out.getFileName().toString().replaceAll("\\.gguf$", "");
            base.write(out, name);
            Path png = out.resolveSibling(out.getFileName().toString().replaceAll("\\.gguf$", "") + "-loss.png");
            LossPlot.write(tr.trainCurve, tr.valCurve, String.format("sft %s: %s, %d steps%s", data.getFileName(),
                    rank > 0 ? "LoRA r" + rank : "full", steps, valSet == null ? "" : String.format(", final val %.3f", valLoss)), png);
            System.out.printf("done in %s; wrote %s (%,d bytes, adapters merged) and %s%n", time((System.nanoTime() - start) / 1e9), out,
                    Files.size(out), png);
            List<Map<String, Object>> first = SftData.messages(Files.readAllLines(valSet != null ? val : data).stream()
                    .filter(l -> !l.isBlank()).findFirst().orElseThrow());
            List<Map<String, Object>> prompt = first.subList(0, firstAssistant(first));
            try (Model tuned = Model.load(out)) {
                ChatEncoder enc = new ChatEncoder(tuned.chatTemplate(), tuned.tokenizer(), Map.of());
                System.out.println("sample (greedy, the engine on " + out.getFileName() + "): " + prompt.getLast().get("content") + " -> "
                        + tuned.tokenizer().decode(Samples.greedy(tuned, enc.prompt(prompt), 60)));
            }
        }
        return 0;
    }

    private static int firstAssistant(List<Map<String, Object>> messages) {
        for (int i = 0; i < messages.size(); i++) if ("assistant".equals(messages.get(i).get("role"))) return i;
        throw new IllegalStateException("validated conversations have an assistant turn");
    }

    private static String time(double s) {
        return s >= 60 ? String.format("%dm%02ds", (int) s / 60, (int) s % 60) : String.format("%.1fs", s);
    }
}
