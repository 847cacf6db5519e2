package dev.parley.inference.train;

import dev.parley.inference.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measures a chat model against a constitution: one answer per held-out prompt through the inference engine "
                + "(batched, serving's sampling at --temperature; 0 = greedy), the share that ends its turn and the share that "
                + "satisfies every rule; with --corpus also the next-token loss on the corpus's validation part (what tuning cost "
                + "in pretraining knowledge). Prints a Markdown table row.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL.gguf") Path model;
    @Option(names = "--prompts", required = true, paramLabel = "PROMPTS.jsonl", description = "JSON Lines " + PromptAnswers.SHAPE)
    Path prompts;
    @Option(names = "--constitution", required = true, paramLabel = "RULES.yaml") Path constitution;
    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "default 0: greedy") float temperature;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--max-tokens", defaultValue = "96", paramLabel = "N", description = "per answer (default ${DEFAULT-VALUE})")
    int maxTokens;
    @Option(names = "--corpus", paramLabel = "FILE", description = "text whose validation part the loss is measured on") Path corpus;
    @Option(names = "--val-split", defaultValue = "0.1", paramLabel = "F",
            description = "the corpus's last share of tokens that is validation, as parley train splits it (default ${DEFAULT-VALUE})")
    double valSplit;
    @Option(names = "--val-windows", defaultValue = "1000000", paramLabel = "N",
            description = "at most N context windows of it (default: all)") int valWindows;
    @Option(names = "--show", defaultValue = "3", paramLabel = "N", description = "answers printed as examples (default ${DEFAULT-VALUE})")
    int show;

    @Override public Integer call() throws IOException {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1");
        Constitution rules = Constitution.read(constitution);
        List<List<Map<String, Object>>> conversations = PromptAnswers.readPrompts(prompts);
        String corpusText = corpus == null ? null : Files.readString(corpus);
        try (Model m = Model.load(model)) {
            long start = System.nanoTime();
            List<List<PromptAnswers.Sample>> answers = PromptAnswers.sample(m, conversations, 1, temperature, seed, maxTokens);
            double seconds = (System.nanoTime() - start) / 1e9;
            List<Constitution.Verdict> verdicts = new ArrayList<>();
            int ended = 0;
            for (int p = 0; p < conversations.size(); p++) {
                PromptAnswers.Sample s = answers.get(p).getFirst();
                if (s.endedTurn()) ended++;
                Constitution.Verdict v = rules.judge(new Constitution.Answer(PromptAnswers.lastUserText(conversations.get(p)), s.text(),
                        s.endedTurn()));
                verdicts.add(v);
                if (p < show)
                    System.out.printf("example %d: %s -> %s%s%n", p + 1, PromptAnswers.lastUserText(conversations.get(p)),
                            s.text().replace("\n", "\\n"), v.all() ? "" : "   [fails " + String.join(", ", v.failed()) + "]");
            }
            int n = conversations.size();
            long passing = verdicts.stream().filter(Constitution.Verdict::all).count();
            String sampling = temperature <= 0 ? "greedy" : "temperature " + temperature + " (seed " + seed + ")";
            System.out.printf("%d answers (%s, max %d tokens) in %s; per rule: %s%n", n, sampling, maxTokens, TuneOptions.time(seconds),
                    PrefsCommand.shares(rules.passCounts(verdicts), n));
            String loss = "";
            if (corpusText != null) {
                start = System.nanoTime();
                CorpusLoss.Result r = CorpusLoss.of(m, corpusText, valSplit, valWindows);
                System.out.printf("corpus validation: %,d tokens (%d windows of %d, the last %s of %s) in %s%n", r.tokens(), r.windows(),
                        r.window(), valSplit, corpus.getFileName(), TuneOptions.time((System.nanoTime() - start) / 1e9));
                loss = String.format("%.4f", r.loss());
            }
            System.out.println("| model | sampling | prompts | ends its turn | satisfies every rule | corpus validation loss (nats/token) |");
            System.out.println("| --- | --- | --- | --- | --- | --- |");
            System.out.printf("| %s | %s | %d | %.1f%% | %.1f%% | %s |%n", model.getFileName(), sampling, n, 100.0 * ended / n,
                    100.0 * passing / n, loss.isEmpty() ? "-" : loss);
        }
        return 0;
    }
}
