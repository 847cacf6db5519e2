package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learning on held-out data: "Repeat: w1 w2 w3" -> "w1 w2 w3" over a small word list. A tiny base pretrained by the
 * project's trainer on word lines is fine-tuned (full, and LoRA of the same base) on conversations, exported as
 * a merged GGUF and run by the engine: greedy exact match on word combinations never trained on goes from about 0 to
 * at least 90%.
 */
class SftLearningTest {
    static final int HELD_OUT = 60;
    @TempDir static Path dir;
    static Path base;
    /** Held-out exact match of the base with ChatML's tokens added, the point both tunings start from. */
    static double before;
    static List<List<String>> train = new ArrayList<>(), test = new ArrayList<>();

    @BeforeAll static void pretrainTheBase() throws IOException {
        List<List<String>> all = WordBase.triples();
        test.addAll(all.subList(0, HELD_OUT));
        train.addAll(all.subList(HELD_OUT, all.size()));
        base = WordBase.file();
        Path data = dir.resolve("train.jsonl");
        List<String> lines = new ArrayList<>();
        for (List<String> words : train) lines.add(conversation(words, true));
        Files.write(data, lines);
        try (FineTuneBase b = FineTuneBase.load(base)) {
            Path untuned = dir.resolve("untuned.gguf");
            b.write(untuned, "untuned");
            before = accuracy(untuned);
        }
    }

    static String conversation(List<String> words, boolean withReply) {
        String user = "{\"role\":\"user\",\"content\":\"Repeat: " + String.join(" ", words) + "\"}";
        return withReply ? "{\"messages\":[" + user + ",{\"role\":\"assistant\",\"content\":\"" + String.join(" ", words) + "\"}]}"
                : "{\"messages\":[" + user + "]}";
    }

    /** Share of held-out prompts the engine answers exactly, greedy, on the given file. */
    static double accuracy(Path gguf) {
        try (Model m = Model.load(gguf)) {
            ChatEncoder enc = new ChatEncoder(m.chatTemplate(), m.tokenizer(), Map.of());
            int right = 0;
            for (List<String> words : test) {
                String reply = m.tokenizer().decode(Samples.greedy(m, enc.prompt(SftData.messages(conversation(words, false))), 12));
                if (reply.equals(String.join(" ", words))) right++;
            }
            return (double) right / test.size();
        }
    }

    /** Tunes the base, writes the merged model and returns {accuracy before, accuracy after, seconds}. */
    static double[] tune(Tuning.Options o, String name) {
        // LoRA as `tune sft` runs it: the base frozen in its GGUF format
        try (FineTuneBase b = FineTuneBase.load(base, o.loraRank() > 0)) {
            List<ChatEncoder.Example> data = SftData.read(dir.resolve("train.jsonl"), b.encoder, b.llama.config().context());
            SftTrainer tr = new SftTrainer(b, data, o);
            long start = System.nanoTime();
            double first = tr.trainStep(), last = first;
            while (tr.tuning.stepsDone() < o.steps()) last = tr.trainStep();
            double seconds = (System.nanoTime() - start) / 1e9;
            tr.tuning.mergeAdapters();
            Path after = dir.resolve(name + ".gguf");
            b.write(after, name);
            double[] r = {before, accuracy(after), seconds};
            System.out.printf("%s: %d steps batch %d in %.1fs, loss %.3f -> %.3f, held-out exact match %.1f%% -> %.1f%%%n", name, o.steps(),
                    o.batch(), seconds, first, last, 100 * r[0], 100 * r[1]);
            return r;
        }
    }

    @Test void fullFineTuningLearnsToRepeatUnseenCombinations() {
        double[] r = tune(new Tuning.Options(16, 600, 1e-3f, 1, 0, 0), "full");
        assertTrue(r[0] <= 0.05, "the base does not repeat before tuning: " + r[0]);
        assertTrue(r[1] >= 0.9, "held-out exact match after full SFT: " + r[1]);
    }

    @Test void loraLearnsToRepeatUnseenCombinations() {
        double[] r = tune(new Tuning.Options(16, 600, 3e-3f, 1, 8, 16), "lora");
        assertTrue(r[0] <= 0.05, "the base does not repeat before tuning: " + r[0]);
        assertTrue(r[1] >= 0.9, "held-out exact match after LoRA SFT: " + r[1]);
    }
}
