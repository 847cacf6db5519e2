package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code parley tune sft} end to end on a tiny trained base: the mask, the merged file the engine loads, bad data. */
class SftCommandTest {
    @TempDir static Path dir;
    static Path base;

    @BeforeAll static void tinyBase() {
        base = TuneCli.tinyBase(dir);
    }

    private static TuneCli.Run tune(String... args) {
        List<String> all = new ArrayList<>(List.of("tune", "sft"));
        all.addAll(List.of(args));
        return TuneCli.run(all.toArray(String[]::new));
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
            TuneCli.Run r = tune("--model", base.toString(), "--data", data.toString(), "--val", data.toString(), "--out", out.toString(),
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
        TuneCli.Run r = tune("--model", base.toString(), "--data", noReply.toString(), "--out", dir.resolve("x.gguf").toString());
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
