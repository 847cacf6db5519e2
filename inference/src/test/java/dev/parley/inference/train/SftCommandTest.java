package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.cli.ParleyCli;
import dev.parley.inference.model.Model;
import dev.parley.inference.tensor.GgmlType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code parley tune sft} end to end on a tiny trained base: the mask, the merged file the engine loads, bad data. */
class SftCommandTest {
    @TempDir static Path dir;
    static Path base;

    @BeforeAll static void tinyBase() {
        String corpus = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree.\n".repeat(30);
        Trainer tr = Trainer.create(corpus, new LlamaConfig(280, 32, 1, 2, 1, 64, 64), false,
                new Trainer.Options(4, 5, 1e-3f, 1e-4f, 1, 0.1f, 1f, 0.99f, 1, 0.1, 1));
        while (tr.stepsDone() < 5) tr.trainStep();
        base = dir.resolve("base.gguf");
        GgufExport.write(tr.model(), tr.vocabulary(), GgmlType.F32, "tiny", base);
    }

    private record Run(int exit, String out, String err) {}

    private static Run tune(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cmd = ParleyCli.commandLine();
        cmd.setErr(new PrintWriter(err));
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true));
        try {
            List<String> all = new ArrayList<>(List.of("tune", "sft"));
            all.addAll(List.of(args));
            return new Run(cmd.execute(all.toArray(String[]::new)), out.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test void onlyTheAssistantTurnsAndTheirEndTokenAreLearned() {
        try (FineTuneBase b = FineTuneBase.load(base)) {
            assertEquals(List.of("<|im_start|>", "<|im_end|>"), List.copyOf(b.addedTokens.keySet()), "ChatML's markers added");
            ChatEncoder.Example ex = b.encoder.encode(SftData.messages("""
                    {"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"the cat"},\
                    {"role":"assistant","content":"sat on"},{"role":"user","content":"the dog"},\
                    {"role":"assistant","content":"the log"}]}"""));
            int end = b.addedTokens.get("<|im_end|>");
            List<String> learned = new ArrayList<>();
            StringBuilder turn = new StringBuilder();
            for (int i = 0; i < ex.tokens().length; i++) {
                if (!ex.learned()[i]) continue;
                int id = ex.tokens()[i];
                turn.append(id == end ? "<|im_end|>" : b.engineModel.tokenizer().decode(new int[] {id}));
                if (id == end) { learned.add(turn.toString()); turn.setLength(0); }
            }
            assertEquals(List.of("sat on<|im_end|>", "the log<|im_end|>"), learned);
            assertEquals("", turn.toString(), "nothing after a turn's end token is learned");
        }
    }

    @Test void writesAMergedModelTheEngineLoadsForFullAndLora() throws IOException {
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, """
                {"messages":[{"role":"user","content":"the cat"},{"role":"assistant","content":"sat on the mat"}]}

                {"messages":[{"role":"user","content":"the dog"},{"role":"assistant","content":"sat on the log"}]}
                """);
        for (String rank : List.of("0", "4")) {
            Path out = dir.resolve("tuned-" + rank + ".gguf");
            Run r = tune("--model", base.toString(), "--data", data.toString(), "--val", data.toString(), "--out", out.toString(),
                    "--steps", "3", "--batch", "2", "--lora-rank", rank, "--eval-interval", "2");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("step     3/3  loss"), r.out());
            assertTrue(r.out().contains("validation loss"), r.out());
            assertTrue(r.out().contains(rank.equals("0") ? "full fine-tuning" : "LoRA rank 4"), r.out());
            try (Model m = Model.load(out)) {
                assertNotNull(m.chatTemplate(), "the ChatML template the tuning used is written into the file");
                int imEnd = m.tokenizer().vocabSize() - 1;
                assertEquals("<|im_end|>", m.tokenizer().tokenText(imEnd));
                assertTrue(m.tokenizer().isEndOfGeneration(imEnd), "the engine ends a turn at <|im_end|>");
            }
            assertTrue(Files.exists(dir.resolve("tuned-" + rank + "-loss.png")));
        }
    }

    @Test void badDataIsOneLineNamingTheLine() throws IOException {
        Path noReply = dir.resolve("no-reply.jsonl");
        Files.writeString(noReply, """
                {"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}
                {"messages":[{"role":"user","content":"the cat"}]}
                """);
        Run r = tune("--model", base.toString(), "--data", noReply.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, r.exit());
        assertEquals("parley: " + noReply + " line 2: no assistant turn to learn from", r.err().strip());
        Path broken = dir.resolve("broken.jsonl");
        Files.writeString(broken, "{\"messages\":[{\"role\":\"user\",\n");
        r = tune("--model", base.toString(), "--data", broken.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("parley: " + broken + " line 1: invalid JSON: ") && r.err().strip().lines().count() == 1, r.err());
        Path noContent = dir.resolve("no-content.jsonl");
        Files.writeString(noContent, "{\"messages\":[{\"role\":\"user\"}]}\n");
        r = tune("--model", base.toString(), "--data", noContent.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals("parley: " + noContent + " line 1: every message needs a string \"role\" and a string \"content\"", r.err().strip());
    }
}
