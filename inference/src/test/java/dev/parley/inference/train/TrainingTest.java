package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.SingleSequenceKvCache;
import dev.parley.inference.model.Transformer;
import dev.parley.inference.tensor.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trainer vs engine logits on the exported file, loss going down, and exact resume from a checkpoint. */
class TrainingTest {
    @TempDir Path dir;

    private static final String CORPUS = ("In the beginning God created the heaven and the earth. And the earth was without form, "
            + "and void; "
            + "and darkness was upon the face of the deep. And God said, Let there be light: and there was light.\n").repeat(40);

    private static Trainer.Options options(int steps) {
        return new Trainer.Options(4, steps, 3e-3f, 3e-4f, 2, 0.1f, 1f, 0.99f, 42, 0.1, 2);
    }

    private static Trainer tiny(int steps) {
        return Trainer.create(CORPUS, new LlamaConfig(300, 32, 2, 4, 2, 64, 32), false, options(steps));
    }

    @Test void trainerLogitsMatchTheEngineOnTheExportedFile() {
        Llama model = new Llama(new LlamaConfig(300, 64, 2, 4, 2, 96, 32), 9);
        TestWeights.randomize(model, 4);
        BpeVocabulary vocab = BpeVocabulary.train(CORPUS, 300, false);
        int[] tokens = java.util.Arrays.copyOf(vocab.encode(CORPUS), 20);
        float[] mine = model.forward(tokens, 1, tokens.length).clone();
        Path file = dir.resolve("f32.gguf");
        GgufExport.write(model, vocab, GgmlType.F32, "consistency", file);
        try (Model m = Model.load(file)) {
            for (MatmulMode mode : MatmulMode.values()) {
                Transformer tf = m.transformer(mode);
                try (SingleSequenceKvCache kv = m.newSingleSequenceKvCache(tokens.length)) {
                    float[][] engine = tf.forward(tokens, 0, kv, true);
                    double worst = 0, scale = 0;
                    for (int t = 0; t < tokens.length; t++)
                        for (int i = 0; i < 300; i++) {
                            worst = Math.max(worst, Math.abs(engine[t][i] - mine[t * 300 + i]));
                            scale = Math.max(scale, Math.abs(mine[t * 300 + i]));
                        }
                    assertTrue(scale > 1, "non-trivial logits " + scale);
                    assertTrue(worst <= 1e-4 * scale, mode + ": max |Δlogit| " + worst + " at logit scale " + scale);
                }
            }
        }
    }

    @Test void lossDecreases() {
        Trainer tr = tiny(60);
        double before = tr.validate();
        double first = tr.trainStep();
        double last = 0;
        for (int i = 1; i < 60; i++) last = tr.trainStep();
        double after = tr.validate();
        assertTrue(last < first - 2 && after < before - 2, "train " + first + " -> " + last + ", validation " + before + " -> " + after);
    }

    @Test void resumeGivesTheSameNextLossesAsAnUninterruptedRun() {
        Trainer straight = tiny(8);
        double[] expected = new double[8];
        for (int i = 0; i < 8; i++) expected[i] = straight.trainStep();

        Trainer first = tiny(8);
        for (int i = 0; i < 4; i++) first.trainStep();
        Path ckpt = dir.resolve("checkpoint.bin");
        first.save(ckpt);
        Trainer resumed = Trainer.resume(ckpt, CORPUS, options(8));
        assertEquals(4, resumed.stepsDone());
        // Equal up to float rounding only: the Vector API leaves the lane order of reduceLanes unspecified, and the
        // JIT-compiled and interpreted reductions differ in the last bits (a run in one JVM state is bit-reproducible).
        for (int i = 4; i < 8; i++) assertEquals(expected[i], resumed.trainStep(), 1e-6 * expected[i], "step " + i);
    }
}
