package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.SingleSequenceKvCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preference learning on held-out pairs: to "First word: w1 w2 w3" the chosen answer is w1, the rejected one w2 or w3.
 * The tiny word base (ChatML's tokens added, never trained on a chat) finds both answers about equally plausible; after
 * DPO the engine, running the merged GGUF, gives the chosen answer the higher probability on at least 90% of word
 * triples never trained on, while the KL to the reference is reported. (Here 50% -> 100%. On a base pretrained on
 * another draw of the same corpus recipe, 300 steps gave 98-100% over seeds 1-3 and 200 steps 93-98%; LoRA rank 8 at lr
 * 3e-3 reached 85-93% in 300 steps on two seeds and fell back to 45% on the third, so the test tunes fully; the LoRA
 * path's gradients are checked in {@link DpoGradientTest} and its run end to end in {@link DpoCommandTest}.)
 */
class DpoLearningTest {
    static final int HELD_OUT = 60;
    @TempDir static Path dir;

    static String pair(List<String> words, Random rnd) {
        String user = "{\"role\":\"user\",\"content\":\"First word: " + String.join(" ", words) + "\"}";
        return "{\"messages\":[" + user + "],\"chosen\":\"" + words.get(0) + "\",\"rejected\":\"" + words.get(1 + rnd.nextInt(2)) + "\"}";
    }

    static Path write(String name, List<List<String>> triples, long seed) throws IOException {
        Random rnd = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (List<String> t : triples) lines.add(pair(t, rnd));
        return Files.write(dir.resolve(name), lines);
    }

    /** Share of the pairs in {@code file} whose chosen answer the engine, running {@code gguf}, finds more probable. */
    static double preferenceAccuracy(Path gguf, Path file) throws IOException {
        try (Model m = Model.load(gguf)) {
            ChatEncoder enc = new ChatEncoder(m.chatTemplate(), m.tokenizer(), Map.of());
            int right = 0, pairs = 0;
            for (String line : Files.readAllLines(file)) {
                var node = SftData.object(line);
                List<Map<String, Object>> prompt = SftData.messages(node.get("messages"));
                double chosen = logProb(m, enc.encodeReply(prompt, node.get("chosen").getStringValue()));
                double rejected = logProb(m, enc.encodeReply(prompt, node.get("rejected").getStringValue()));
                if (chosen > rejected) right++;
                pairs++;
            }
            return (double) right / pairs;
        }
    }

    private static double logProb(Model m, ChatEncoder.Example ex) {
        int n = ex.tokens().length - 1;
        try (SingleSequenceKvCache kv = m.newSingleSequenceKvCache(n)) {
            float[][] logits = m.transformer(MatmulMode.GGML).forward(Arrays.copyOf(ex.tokens(), n), 0, kv, true);
            double sum = 0;
            for (int j = 0; j < n; j++) {
                if (!ex.learned()[j + 1]) continue;
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (float l : logits[j]) max = Math.max(max, l);
                for (float l : logits[j]) z += Math.exp(l - max);
                sum += logits[j][ex.tokens()[j + 1]] - max - Math.log(z);
            }
            return sum;
        }
    }

    @Test void fullDpoPrefersTheChosenAnswerOnUnseenPrompts() throws IOException {
        List<List<String>> all = WordBase.triples(5);
        Path train = write("train.jsonl", all.subList(HELD_OUT, all.size()), 1), test = write("test.jsonl", all.subList(0, HELD_OUT), 2);
        try (FineTuneBase b = FineTuneBase.load(WordBase.file())) {
            Path untuned = dir.resolve("untuned.gguf");
            b.write(untuned, "untuned");
            double before = preferenceAccuracy(untuned, test);
            int ctx = b.llama.config().context();
            Tuning.Options o = new Tuning.Options(16, 300, 1e-3f, 1, 0, 0);
            DpoTrainer tr = new DpoTrainer(b, b, PreferenceData.read(train, b.encoder, ctx), PreferenceData.read(test, b.encoder, ctx), o,
                    0.5f, 1L << 26);
            DpoLoss.Stats start = tr.validate();
            long t0 = System.nanoTime();
            while (tr.tuning.stepsDone() < o.steps()) tr.trainStep();
            double seconds = (System.nanoTime() - t0) / 1e9;
            DpoLoss.Stats end = tr.validate();
            tr.tuning.mergeAdapters();
            Path tuned = dir.resolve("dpo.gguf");
            b.write(tuned, "dpo");
            double after = preferenceAccuracy(tuned, test);
            System.out.printf("dpo full: %d steps of %d pairs in %.1fs; held-out (%d pairs) engine preference accuracy %.1f%% -> %.1f%%;%n"
                            + "  trainer's held-out before %s%n  after %s%n", o.steps(), o.batch(), seconds, HELD_OUT, 100 * before,
                    100 * after, DpoCommand.format(start), DpoCommand.format(end));
            assertTrue(before >= 0.3 && before <= 0.7, "both answers about equally plausible before tuning: " + before);
            assertTrue(after >= 0.9, "held-out preference accuracy after DPO: " + after);
            assertTrue(end.accuracy() >= 0.9, "held-out reward accuracy after DPO: " + end.accuracy());
            assertTrue(end.klTokens() > 0 && end.kl() > 0 && Double.isFinite(end.kl()), "the KL to the reference is measured: " + end.kl());
        }
    }
}
