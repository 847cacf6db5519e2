package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.Model;
import io.micronaut.json.tree.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parley tune prefs} and {@code parley tune eval} end to end through the inference engine on a tiny trained base:
 * pairs that rank by the rules and feed tune dpo, reproducible from the seed, the eval figures and its corpus loss.
 */
class PrefsCommandTest {
    @TempDir static Path dir;
    static Path base, prompts, rules;

    @BeforeAll static void tinyBasePromptsAndRules() throws IOException {
        // one step of sft gives the tiny base ChatML's tokens and template, so prompts fit its context of 64
        base = dir.resolve("chat.gguf");
        TuneCli.Run sft = TuneCli.run("tune", "sft", "--model", TuneCli.tinyBase(dir).toString(), "--data",
                TuneCli.conversations(dir).toString(), "--out", base.toString(), "--steps", "1", "--batch", "2");
        assertEquals(0, sft.exit(), sft.err());
        prompts = Files.writeString(dir.resolve("prompts.jsonl"), """
                {"messages":[{"role":"user","content":"the cat"}]}
                {"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"the dog"}]}

                {"messages":[{"role":"user","content":"a bird"},{"role":"assistant","content":"sang"},{"role":"user","content":"where"}]}
                {"messages":[{"role":"user","content":"the mat"}]}
                {"messages":[{"role":"user","content":"the log"}]}
                {"messages":[{"role":"user","content":"the tree"}]}
                """);
        // rules on the text alone, so a pair's ranking can be checked from the file
        rules = Files.writeString(dir.resolve("rules.yaml"), """
                rules:
                  - min_words: 2
                  - max_words: 4
                  - no_repeated_words: 2
                """);
    }

    private static TuneCli.Run tune(String... args) {
        return TuneCli.run(args);
    }

    private static TuneCli.Run prefs(Path out, String seed) {
        return tune("tune", "prefs", "--model", base.toString(), "--prompts", prompts.toString(), "--constitution", rules.toString(),
                "--samples", "6", "--max-tokens", "8", "--seed", seed, "--out", out.toString());
    }

    @Test void writesBestAgainstWorstPairsThatTuneDpoReadsAndRepeatsFromTheSeed() throws IOException {
        Path out = dir.resolve("pairs.jsonl");
        TuneCli.Run r = prefs(out, "7");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("constitution rules.yaml: min_words 2, max_words 4, no_repeated_words 2"), r.out());
        assertTrue(r.out().contains("sampling 6 x 6 answers from chat.gguf (temperature 1.0, max 8 tokens, seed 7, 16 sequences per step)"),
                r.out());
        assertTrue(r.out().matches("(?s).*sampled 36 answers in .*; \\d+\\.\\d% satisfy every rule; per rule: min_words \\d+\\.\\d%, "
                + "max_words \\d+\\.\\d%, no_repeated_words \\d+\\.\\d%.*"), r.out());
        Matcher m = Pattern.compile("wrote .*: (\\d+) pairs \\(best vs worst answer\\); skipped (\\d+) prompts whose answers all scored alike "
                + "and (\\d+) whose best and worst answers have the same text").matcher(r.out());
        assertTrue(m.find(), r.out());
        int pairs = Integer.parseInt(m.group(1));
        assertEquals(6, pairs + Integer.parseInt(m.group(2)) + Integer.parseInt(m.group(3)), "every prompt is a pair or skipped");
        assertTrue(pairs >= 1, "sampled answers of a barely trained model differ in length: " + r.out());

        List<String> lines = Files.readAllLines(out).stream().filter(l -> !l.isBlank()).toList();
        assertEquals(pairs, lines.size());
        Constitution c = Constitution.read(rules);
        for (String line : lines) {
            JsonNode node = SftData.object(line);
            String prompt = PromptAnswers.lastUserText(SftData.messages(node.get("messages")));
            int chosen = c.judge(new Constitution.Answer(prompt, node.get("chosen").getStringValue(), true)).score();
            int rejected = c.judge(new Constitution.Answer(prompt, node.get("rejected").getStringValue(), true)).score();
            assertTrue(chosen > rejected, "the chosen answer scores higher: " + line);
        }
        try (FineTuneBase fb = FineTuneBase.load(base)) {
            assertEquals(pairs, PreferenceData.read(out, fb.encoder, fb.llama.config().context()).size(), "tune dpo's reader takes them");
        }

        Path again = dir.resolve("again.jsonl");
        assertEquals(0, prefs(again, "7").exit());
        assertEquals(Files.readString(out), Files.readString(again), "the same seed samples the same answers");
        Path other = dir.resolve("other.jsonl");
        assertEquals(0, prefs(other, "8").exit());
        assertNotEquals(Files.readString(out), Files.readString(other), "another seed samples other answers");

        Path tuned = dir.resolve("dpo.gguf");
        TuneCli.Run dpo = tune("tune", "dpo", "--model", base.toString(), "--data", out.toString(), "--out", tuned.toString(),
                "--steps", "1", "--batch", "2");
        assertEquals(0, dpo.exit(), dpo.err());
    }

    @Test void badOptionsAndConstitutionsAreOneLineErrors() throws IOException {
        Path out = dir.resolve("bad.jsonl");
        TuneCli.Run one = tune("tune", "prefs", "--model", base.toString(), "--prompts", prompts.toString(), "--constitution",
                rules.toString(), "--samples", "1", "--out", out.toString());
        assertEquals(2, one.exit());
        assertTrue(one.err().contains("--samples must be at least 2: a pair needs two answers to compare"), one.err());
        Path unknown = Files.writeString(dir.resolve("unknown.yaml"), "rules:\n  - ends_turn\n  - be_kind\n");
        TuneCli.Run bad = tune("tune", "prefs", "--model", base.toString(), "--prompts", prompts.toString(), "--constitution",
                unknown.toString(), "--out", out.toString());
        assertEquals(2, bad.exit());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains(unknown + ": unknown rule \"be_kind\"; known rules: ends_turn, min_words"), bad.err());
        Path noUser = Files.writeString(dir.resolve("nouser.jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n");
        TuneCli.Run ends = tune("tune", "eval", "--model", base.toString(), "--prompts", noUser.toString(), "--constitution", rules.toString());
        assertEquals(2, ends.exit());
        assertTrue(ends.err().contains(noUser + " line 1: a prompt must end with a user turn"), ends.err());
    }

    @Test void evalReportsTheSharesAndTheCorpusLossTheTrainerComputesToo() throws IOException {
        String text = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree.\n".repeat(100);
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), text);
        TuneCli.Run r = tune("tune", "eval", "--model", base.toString(), "--prompts", prompts.toString(), "--constitution", rules.toString(),
                "--max-tokens", "8", "--corpus", corpus.toString(), "--show", "2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("example 1: the cat -> "), r.out());
        assertTrue(r.out().contains("6 answers (greedy, max 8 tokens) in "), r.out());
        Matcher row = Pattern.compile("\\| chat\\.gguf \\| greedy \\| 6 \\| (\\d+\\.\\d)% \\| (\\d+\\.\\d)% \\| (\\d\\.\\d{4}) \\|").matcher(r.out());
        assertTrue(row.find(), r.out());
        double loss = Double.parseDouble(row.group(3));

        // the same windows through the trainer's own forward pass (F32 model: the two agree to float rounding)
        try (Model m = Model.load(base); FineTuneBase fb = FineTuneBase.load(base)) {
            int[] all = m.tokenizer().encode(text, false, false);
            int split = (int) Math.round(all.length * 0.9), t = m.config().contextLength(), windows = (all.length - split - 1) / t;
            assertTrue(r.out().contains("corpus validation: " + String.format("%,d", windows * t) + " tokens (" + windows + " windows of " + t
                    + ", the last 0.1 of corpus.txt)"), r.out());
            double sum = 0;
            for (int w = 0; w < windows; w++) {
                int from = split + w * t;
                sum += fb.llama.loss(Arrays.copyOfRange(all, from, from + t), Arrays.copyOfRange(all, from + 1, from + t + 1), 1, t, false);
            }
            assertEquals(sum / windows, loss, 2e-4);
        }

        TuneCli.Run sampled = tune("tune", "eval", "--model", base.toString(), "--prompts", prompts.toString(), "--constitution",
                rules.toString(), "--max-tokens", "8", "--temperature", "0.8", "--seed", "3");
        assertEquals(0, sampled.exit(), sampled.err());
        assertTrue(sampled.out().contains("| chat.gguf | temperature 0.8 (seed 3) | 6 | "), sampled.out());
        assertTrue(sampled.out().contains("% | - |"), "no corpus, no loss: " + sampled.out());
    }

}
