package dev.parley.inference.train;

import dev.parley.inference.model.Model;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "prefs", mixinStandardHelpOptions = true,
        description = {"AI feedback by a written rule set: samples --samples answers per prompt through the inference engine "
                + "(batched), scores each by the constitution's checkable rules (one point per rule satisfied) and writes the best "
                + "against the worst as a preference pair for tune dpo, where their scores differ.",
                "Rules (YAML, a list under \"rules:\"): ends_turn, min_words: N, max_words: N, no_repeated_line, no_repeated_words: N, "
                + "refuse_topics: {topics: [...], refusal: TEXT, max_words: N}, style: {words: [...], min: N}.",
                "This is not a learned reward model and not Constitutional AI's critique-and-revise by a model: the rules are "
                + "string checks."})
final class PrefsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL.gguf") Path model;
    @Option(names = "--prompts", required = true, paramLabel = "PROMPTS.jsonl", description = "JSON Lines " + PromptAnswers.SHAPE)
    Path prompts;
    @Option(names = "--constitution", required = true, paramLabel = "RULES.yaml") Path constitution;
    @Option(names = "--samples", defaultValue = "4", paramLabel = "K", description = "answers per prompt (default ${DEFAULT-VALUE})")
    int samples;
    @Option(names = "--out", required = true, paramLabel = "PAIRS.jsonl", description = "preference pairs as tune dpo reads them")
    Path out;
    @Option(names = "--seed", defaultValue = "1", paramLabel = "S") long seed;
    @Option(names = "--temperature", defaultValue = "1.0", paramLabel = "T", description = "default ${DEFAULT-VALUE}") float temperature;
    @Option(names = "--max-tokens", defaultValue = "96", paramLabel = "N", description = "per answer (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Override public Integer call() throws IOException {
        if (samples < 2) throw new IllegalArgumentException("--samples must be at least 2: a pair needs two answers to compare");
        if (temperature <= 0) throw new IllegalArgumentException("--temperature must be above 0: greedy answers to a prompt are all alike");
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1");
        Constitution rules = Constitution.read(constitution);
        List<List<Map<String, Object>>> conversations = PromptAnswers.readPrompts(prompts);
        System.out.printf("constitution %s: %s%n", constitution.getFileName(), rules.describe());
        long start = System.nanoTime();
        List<List<PromptAnswers.Sample>> answers;
        try (Model m = Model.load(model)) {
            System.out.printf("sampling %d x %d answers from %s (temperature %s, max %d tokens, seed %d, %d sequences per step)%n",
                    conversations.size(), samples, model.getFileName(), temperature, maxTokens, seed, PromptAnswers.BATCH);
            answers = PromptAnswers.sample(m, conversations, samples, temperature, seed, maxTokens);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Constitution.Verdict> all = new ArrayList<>();
        int pairs = 0, equalScores = 0, equalTexts = 0;
        ObjectMapper json = ObjectMapper.getDefault();
        try (Writer w = Files.newBufferedWriter(out)) {
            for (int p = 0; p < conversations.size(); p++) {
                String prompt = PromptAnswers.lastUserText(conversations.get(p));
                int best = -1, worst = -1;
                List<Constitution.Verdict> verdicts = new ArrayList<>();
                for (int k = 0; k < samples; k++) {
                    PromptAnswers.Sample s = answers.get(p).get(k);
                    Constitution.Verdict v = rules.judge(new Constitution.Answer(prompt, s.text(), s.endedTurn()));
                    verdicts.add(v);
                    if (best < 0 || v.score() > verdicts.get(best).score()) best = k;
                    if (worst < 0 || v.score() < verdicts.get(worst).score()) worst = k;
                }
                all.addAll(verdicts);
                String chosen = answers.get(p).get(best).text(), rejected = answers.get(p).get(worst).text();
                if (verdicts.get(best).score() == verdicts.get(worst).score()) {
                    equalScores++;
                } else if (chosen.equals(rejected)) { // the same words, one cut off by the limit: nothing for DPO to prefer
                    equalTexts++;
                } else {
                    Map<String, Object> pair = new LinkedHashMap<>();
                    pair.put("messages", conversations.get(p));
                    pair.put("chosen", chosen);
                    pair.put("rejected", rejected);
                    w.write(json.writeValueAsString(pair));
                    w.write('\n');
                    pairs++;
                }
            }
        }
        int n = all.size();
        long passing = all.stream().filter(Constitution.Verdict::all).count();
        System.out.printf("sampled %d answers in %s; %.1f%% satisfy every rule; per rule: %s%n", n, TuneOptions.time(seconds),
                100.0 * passing / n, shares(rules.passCounts(all), n));
        System.out.printf("wrote %s: %d pairs (best vs worst answer); skipped %d prompts whose answers all scored alike and %d whose best "
                + "and worst answers have the same text%n", out, pairs, equalScores, equalTexts);
        return 0;
    }

    static String shares(Map<String, Integer> counts, int total) {
        List<String> parts = new ArrayList<>();
        counts.forEach((name, c) -> parts.add(String.format("%s %.1f%%", name, 100.0 * c / total)));
        return String.join(", ", parts);
    }
}
