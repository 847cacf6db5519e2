package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.model.Model;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parley tune dpo} end to end on a tiny trained base: the figures it reports, the merged file, --ref, bad data. */
class DpoCommandTest {
    @TempDir static Path dir;
    static Path base, pairs;

    @BeforeAll static void tinyBaseAndPairs() throws IOException {
        base = TuneCli.tinyBase(dir);
        pairs = Files.writeString(dir.resolve("pairs.jsonl"), """
                {"messages":[{"role":"user","content":"the cat"}],"chosen":"sat on the mat","rejected":"sang in the tree"}

                {"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"the dog"}],"chosen":"sat on the log",\
                "rejected":"the cat"}
                {"messages":[{"role":"user","content":"a bird"},{"role":"assistant","content":"sang"},{"role":"user","content":"where"}],\
                "chosen":"in the tree","rejected":"on the mat"}
                """);
    }

    private static TuneCli.Run dpo(String... args) {
        List<String> all = new ArrayList<>(List.of("tune", "dpo"));
        all.addAll(List.of(args));
        return TuneCli.run(all.toArray(String[]::new));
    }

    /** The lines of one step's report, without the timing that differs between runs. */
    private static List<String> steps(String out) {
        return out.lines().filter(l -> l.startsWith("step")).map(l -> l.replaceAll("  lr .*", "")).toList();
    }

    @Test void reportsThePreferenceFiguresAndWritesAMergedModelForFullAndLora() {
        for (String rank : List.of("0", "4")) {
            Path out = dir.resolve("dpo-" + rank + ".gguf");
            TuneCli.Run r = dpo("--model", base.toString(), "--data", pairs.toString(), "--val", pairs.toString(), "--out", out.toString(),
                    "--steps", "3", "--batch", "2", "--lora-rank", rank, "--eval-interval", "2", "--beta", "0.2");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("data 3 pairs, validation 3 pairs; reference log-probabilities computed once (the input model), "
                    + "beta 0.2"), r.out());
            assertTrue(r.out().contains("KL: " + DpoLoss.KL_ESTIMATOR + "; reference distributions cached for"), r.out());
            assertTrue(r.out().contains(rank.equals("0") ? "full fine-tuning" : "LoRA rank 4"), r.out());
            List<String> steps = steps(r.out());
            assertTrue(steps.getFirst().matches("step +0  validation loss 0\\.6931  acc  50\\.0%  rewards chosen \\+0\\.000 rejected "
                    + "\\+0\\.000 margin \\+0\\.000  KL 0\\.0000 .*"), "the untrained policy is its reference: " + r.out());
            assertTrue(steps.stream().anyMatch(l -> l.matches("step +3/3  loss \\d\\.\\d{4}  acc +\\d+\\.\\d%  rewards chosen [-+]\\d\\.\\d{3} "
                    + "rejected [-+]\\d\\.\\d{3} margin [-+]\\d\\.\\d{3}  KL \\d+\\.\\d{4} .*")), r.out());
            assertEquals(2, steps.stream().filter(l -> l.contains("validation")).count() - 1, "validation at steps 2 and 3: " + r.out());
            try (Model m = Model.load(out)) {
                assertEquals("<|im_end|>", m.tokenizer().tokenText(m.tokenizer().vocabSize() - 1));
            }
            assertTrue(Files.exists(dir.resolve("dpo-" + rank + "-loss.png")));
        }
    }

    @Test void anExplicitReferenceEqualToTheInputGivesTheSameRunAndAnotherVocabularyIsRefused() {
        List<String> args = List.of("--model", base.toString(), "--data", pairs.toString(), "--out", dir.resolve("a.gguf").toString(),
                "--steps", "2", "--batch", "2");
        TuneCli.Run implicit = dpo(args.toArray(String[]::new));
        List<String> withRef = new ArrayList<>(args);
        withRef.addAll(List.of("--ref", base.toString()));
        TuneCli.Run explicit = dpo(withRef.toArray(String[]::new));
        assertEquals(0, explicit.exit(), explicit.err());
        assertTrue(explicit.out().contains("reference base.gguf:"), explicit.out());
        assertEquals(steps(implicit.out()), steps(explicit.out()));

        Path otherDir = dir.resolve("other");
        otherDir.toFile().mkdirs();
        Trainer tr = Trainer.create("zebra quagga okapi. ".repeat(40), new LlamaConfig(200, 32, 1, 2, 1, 64, 64), false,
                new Trainer.Options(2, 1, 1e-3f, 1e-4f, 1, 0.1f, 1f, 0.99f, 1, 0.1, 1));
        Path other = otherDir.resolve("other.gguf");
        GgufExport.write(tr.model(), tr.vocabulary(), dev.parley.inference.tensor.GgmlType.F32, "other", other);
        withRef.set(withRef.size() - 1, other.toString());
        TuneCli.Run refused = dpo(withRef.toArray(String[]::new));
        assertEquals(2, refused.exit());
        assertEquals("parley: --ref: the reference's vocabulary differs from the policy's (the answers' tokens must mean the same to "
                + "both)", refused.err().strip());
    }

    @Test void badPairsAreOneLineNamingTheLine() throws IOException {
        String good = "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"chosen\":\"b\",\"rejected\":\"c\"}\n";
        assertBad(base, good + "\n{\"messages\":[],\"chosen\":\"b\",\"rejected\":\"c\"}\n", 3,
                "no prompt turns: expected " + PreferenceData.SHAPE);
        assertBad(base, good + "{\"chosen\":\"b\",\"rejected\":\"c\"}\n", 2, "no prompt turns: expected " + PreferenceData.SHAPE);
        assertBad(base, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"chosen\":\"same\",\"rejected\":\"same\"}\n", 1,
                "chosen and rejected are the same text");
        assertBad(base, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"chosen\":\"b\"}\n", 1,
                "\"rejected\" must be a string: expected " + PreferenceData.SHAPE);
        assertBad(base, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}],"
                + "\"chosen\":\"c\",\"rejected\":\"d\"}\n", 1, "the prompt ends with an assistant turn: the answers must reply to a user turn");
        assertBad(withTemplate("{{ raise_exception('only one user turn, please') }}"), good, 1,
                "the chat template cannot render it: only one user turn, please");
    }

    private static void assertBad(Path model, String data, int line, String message) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), data);
        TuneCli.Run r = dpo("--model", model.toString(), "--data", file.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, r.exit(), r.err());
        assertEquals("parley: " + file + " line " + line + ": " + message, r.err().strip());
    }

    /** The tiny base with {@code template} as its chat template. */
    private static Path withTemplate(String template) {
        Path out = dir.resolve("templated.gguf");
        try (GgufFile f = GgufFile.open(base)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata()).put("tokenizer.chat_template", GgufValue.of(template));
            for (TensorInfo t : f.tensors().values())
                w.addTensor(t.name(), t.type(), t.shape(), seg -> MemorySegment.copy(f.tensorData(t), 0, seg, 0, t.byteSize()));
            w.write(out);
        }
        return out;
    }
}
