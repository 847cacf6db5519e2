package dev.parley.inference.train;

import dev.parley.inference.tensor.GgmlType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The tiny base the learning tests tune: pretrained by the project's trainer on lines of a 12-word list, exported as a
 * GGUF without a chat template (so tuning adds ChatML's tokens). Made once per test JVM and shared, as pretraining it
 * takes seconds.
 */
final class WordBase {
    static final List<String> WORDS = List.of("red", "blue", "green", "cat", "dog", "sun", "moon", "tree", "fish", "bird", "star", "rock");
    static final int PRETRAIN_STEPS = 200;
    private static Path file;
    private static List<List<String>> pretrainingOrder;

    private WordBase() {}

    static synchronized Path file() {
        if (file != null) return file;
        try {
            Path dir = Files.createTempDirectory("parley-word-base");
            dir.toFile().deleteOnExit();
            Random rnd = new Random(3);
            // the triples are shuffled by the generator that then writes the corpus, as SftLearningTest's figures were made
            List<List<String>> order = triples(rnd);
            StringBuilder corpus = new StringBuilder();
            // Random word lines, and every other line the words in a fixed cyclic order from a random start: every word is
            // sometimes certain, so the base learns confident predictions (sharp logits), not only word frequencies. A base
            // trained on random lines alone keeps a near-uniform output: LoRA, which leaves the tied embedding and the norms
            // frozen, then plateaus at ~1.9 nats per learned token and 0% (rank 8-32, 400-800 steps), while full tuning learns.
            for (int line = 0; line < 1000; line++) {
                int n = 3 + rnd.nextInt(6), start = rnd.nextInt(WORDS.size());
                for (int i = 0; i < n; i++)
                    corpus.append(i == 0 ? "" : " ").append(WORDS.get(line % 2 == 0 ? (start + i) % WORDS.size() : rnd.nextInt(WORDS.size())));
                corpus.append(".\n");
            }
            Trainer tr = Trainer.create(corpus.toString(), new LlamaConfig(320, 64, 2, 4, 2, 128, 64), false,
                    new Trainer.Options(8, PRETRAIN_STEPS, 3e-3f, 3e-4f, 10, 0.1f, 1f, 0.99f, 7, 0.1, 2));
            long t0 = System.nanoTime();
            while (tr.stepsDone() < PRETRAIN_STEPS) tr.trainStep();
            System.out.printf("word base: pretrained %d steps in %.1fs, validation loss %.3f%n", PRETRAIN_STEPS,
                    (System.nanoTime() - t0) / 1e9, tr.validate());
            Path out = dir.resolve("word-base.gguf");
            GgufExport.write(tr.model(), tr.vocabulary(), GgmlType.F32, "word-base", out);
            out.toFile().deleteOnExit();
            pretrainingOrder = order;
            return file = out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All ordered triples of distinct words in the order the base's generator shuffled them before writing its corpus. */
    static synchronized List<List<String>> triples() {
        file();
        return pretrainingOrder;
    }

    /** All ordered triples of distinct words, shuffled by {@code seed}. */
    static List<List<String>> triples(long seed) {
        return triples(new Random(seed));
    }

    private static List<List<String>> triples(Random rnd) {
        List<List<String>> all = new ArrayList<>();
        for (String a : WORDS)
            for (String b : WORDS)
                for (String c : WORDS) if (!a.equals(b) && !b.equals(c) && !a.equals(c)) all.add(List.of(a, b, c));
        Collections.shuffle(all, rnd);
        return all;
    }
}
