package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tune checkpoints: a run resumed from one continues as the uninterrupted run does; the CLI's --checkpoint / --resume. */
class TuneCheckpointTest {
    @TempDir static Path dir;
    static Path base, conversations, pairs;

    @BeforeAll static void data() throws IOException {
        base = TuneCli.tinyBase(dir);
        conversations = TuneCli.conversations(dir);
        pairs = TuneCli.pairs(dir);
    }

    private static DpoTrainer dpo(FineTuneBase b, Tuning.Options o) {
        List<PreferenceData.Pair> data = PreferenceData.read(pairs, b.encoder, b.llama.config().context());
        return new DpoTrainer(b, b, data, null, o, 0.5f, 1 << 20);
    }

    @Test void aResumedDpoRunContinuesAsTheUninterruptedOne() {
        Tuning.Options o = new Tuning.Options(2, 4, 1e-2f, 3, 4, 8);
        List<Double> straight = new ArrayList<>();
        List<float[]> straightWeights = new ArrayList<>();
        try (FineTuneBase b = FineTuneBase.load(base, true)) {
            DpoTrainer tr = dpo(b, o);
            while (tr.tuning.stepsDone() < 4) straight.add(tr.trainStep().loss());
            for (Param p : tr.tuning.lora.params) straightWeights.add(p.w.clone());
        }
        Path file = dir.resolve("dpo.ckpt");
        List<Double> resumed = new ArrayList<>();
        try (FineTuneBase b = FineTuneBase.load(base, true)) {
            DpoTrainer tr = dpo(b, o);
            while (tr.tuning.stepsDone() < 2) resumed.add(tr.trainStep().loss());
            tr.tuning.save(file, "dpo", List.of(tr.trainCurve, tr.valCurve));
        }
        try (FineTuneBase b = FineTuneBase.load(base, true)) {
            DpoTrainer tr = dpo(b, o);
            tr.tuning.resume(file, "dpo", List.of(tr.trainCurve, tr.valCurve));
            assertEquals(2, tr.tuning.stepsDone());
            assertEquals(2, tr.trainCurve.size(), "the loss curve comes back with the weights");
            while (tr.tuning.stepsDone() < 4) resumed.add(tr.trainStep().loss());
            for (int i = 0; i < 4; i++) assertEquals(straight.get(i), resumed.get(i), 1e-6, "loss at step " + (i + 1));
            assertTrue(Math.abs(straight.get(3) - straight.get(0)) > 1e-4, "the steps train: " + straight);
            for (int i = 0; i < straightWeights.size(); i++) {
                float[] expected = straightWeights.get(i), actual = tr.tuning.lora.params.get(i).w;
                for (int j = 0; j < expected.length; j++)
                    assertEquals(expected[j], actual[j], 1e-5, tr.tuning.lora.params.get(i).name + "[" + j + "]");
            }
        }
    }

    @Test void cliCheckpointsResumesAndRefusesAnotherRunsCheckpoint() {
        Path ckpt = dir.resolve("ckpt");
        List<String> args = new ArrayList<>(List.of("tune", "sft", "--model", base.toString(), "--data", conversations.toString(), "--out",
                dir.resolve("sft.gguf").toString(), "--checkpoint", ckpt.toString(), "--lora-rank", "2", "--batch", "2", "--steps", "2"));
        TuneCli.Run first = TuneCli.run(args.toArray(String[]::new));
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().matches("(?s).*step     2/2  loss \\d\\.\\d{4}  lr \\S+  [\\d,]+ tok/s  elapsed .*"), first.out());
        assertTrue(first.out().matches("(?s).*done: 2 steps in \\S+, [\\d,]+ tokens at [\\d,]+ tok/s.*"), first.out());
        assertTrue(Files.exists(ckpt.resolve("tune-checkpoint.bin")));
        args.set(args.size() - 1, "4");
        args.add("--resume");
        TuneCli.Run second = TuneCli.run(args.toArray(String[]::new));
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.out().contains("resumed " + ckpt.resolve("tune-checkpoint.bin") + " at step 2"), second.out());
        assertTrue(second.out().contains("step     3/4") && !second.out().contains("step     1/4"), second.out());

        args.set(1, "dpo");
        args.set(5, pairs.toString());
        TuneCli.Run other = TuneCli.run(args.toArray(String[]::new));
        assertEquals(2, other.exit());
        assertEquals("parley: " + ckpt.resolve("tune-checkpoint.bin") + ": a checkpoint of tune sft, not of tune dpo", other.err().strip());
        args.set(7, dir.resolve("none").toString());
        args.set(1, "sft");
        args.set(5, conversations.toString());
        args.set(9, dir.resolve("empty").toString());
        TuneCli.Run none = TuneCli.run(args.toArray(String[]::new));
        assertEquals("parley: --resume: no checkpoint at " + dir.resolve("empty").resolve("tune-checkpoint.bin"), none.err().strip());
    }
}
