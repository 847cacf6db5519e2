package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --adapter-out}: the adapter file in llama.cpp's format, read back through Parley's GGUF reader and applied to the
 * base as llama.cpp applies it (W + alpha/R·B·A, from the file's tensors alone), gives the merged model's logits.
 */
class LoraAdapterFileTest {
    static final int RANK = 4;
    static final float ALPHA = 6f;
    @TempDir static Path dir;
    /** A base with ChatML's tokens and template (an untuned export of the tiny base), so an adapter can stand for a tuning. */
    static Path chatBase;
    static Path conversations, pairs;

    @BeforeAll static void chatBaseAndData() throws IOException {
        try (FineTuneBase b = FineTuneBase.load(TuneCli.tinyBase(dir))) {
            chatBase = dir.resolve("chat-base.gguf");
            b.write(chatBase, "chat-base");
        }
        conversations = TuneCli.conversations(dir);
        pairs = TuneCli.pairs(dir);
    }

    @Test void sftAdapterReadsBackAndAppliedToTheBaseGivesTheMergedLogits() throws IOException {
        checkAdapter("sft", conversations);
    }

    @Test void dpoAdapterReadsBackAndAppliedToTheBaseGivesTheMergedLogits() throws IOException {
        checkAdapter("dpo", pairs);
    }

    private static void checkAdapter(String objective, Path data) throws IOException {
        Path adapter = dir.resolve(objective + "-adapter.gguf"), merged = dir.resolve(objective + "-merged.gguf");
        TuneCli.Run r = TuneCli.run("tune", objective, "--model", chatBase.toString(), "--data", data.toString(), "--out", merged.toString(),
                "--adapter-out", adapter.toString(), "--lora-rank", String.valueOf(RANK), "--lora-alpha", String.valueOf(ALPHA),
                "--steps", "4", "--batch", "2", "--lr", "1e-2");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("LoRA adapter in llama.cpp's format: rank 4, alpha 6.0"), r.out());
        try (FineTuneBase base = FineTuneBase.load(chatBase); FineTuneBase tuned = FineTuneBase.load(merged);
             GgufFile f = GgufFile.open(adapter)) {
            assertEquals("adapter", f.getString("general.type"));
            assertEquals("lora", f.getString("adapter.type"));
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals(ALPHA, f.getFloat("adapter.lora.alpha"));
            LlamaConfig c = base.llama.config();
            Set<String> expected = new TreeSet<>();
            for (int l = 0; l < c.layers(); l++)
                for (Lora.Projection p : Lora.Projection.values())
                    for (String part : List.of(".lora_a", ".lora_b")) expected.add("blk." + l + "." + p.tensor + ".weight" + part);
            assertEquals(expected, new TreeSet<>(f.tensors().keySet()));
            float[] before = logits(base.llama);
            for (int l = 0; l < c.layers(); l++)
                for (Lora.Projection p : Lora.Projection.values()) apply(f, base.llama.weight(l, p), "blk." + l + "." + p.tensor + ".weight");
            float[] applied = logits(base.llama), reference = logits(tuned.llama);
            double moved = 0, worst = 0;
            for (int i = 0; i < applied.length; i++) {
                moved = Math.max(moved, Math.abs(applied[i] - before[i]));
                worst = Math.max(worst, Math.abs(applied[i] - reference[i]));
            }
            System.out.printf("%s adapter: base + adapter vs the merged model, max |Δlogit| %.2e; the adapter moves logits by up to %.3f%n",
                    objective, worst, moved);
            assertTrue(moved > 1e-3, "the adapter changes the logits: " + moved);
            assertTrue(worst <= 1e-4, "base + adapter vs the merged model: max |Δlogit| " + worst);
        }
    }

    /** W += (alpha/R)·B·A with A, B as llama.cpp reads them: lora_a [in, R] and lora_b [R, out] in GGUF (fastest first) order. */
    private static void apply(GgufFile f, Param w, String name) {
        TensorInfo a = f.tensor(name + ".lora_a"), b = f.tensor(name + ".lora_b");
        assertEquals(GgmlType.F32, a.type());
        assertEquals(GgmlType.F32, b.type());
        assertArrayEquals(new long[] {w.cols, RANK}, a.shape(), name + ".lora_a");
        assertArrayEquals(new long[] {RANK, w.rows}, b.shape(), name + ".lora_b");
        float[] av = f.tensorData(a).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED), bv = f.tensorData(b).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED);
        float scale = f.getFloat("adapter.lora.alpha") / b.shape()[0];
        for (int o = 0; o < w.rows; o++)
            for (int i = 0; i < w.cols; i++) {
                double sum = 0;
                for (int k = 0; k < RANK; k++) sum += (double) bv[o * RANK + k] * av[k * w.cols + i];
                w.w[o * w.cols + i] += (float) (scale * sum);
            }
    }

    private static float[] logits(Llama model) {
        int[] tokens = new int[2 * 12];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 37 + 5) % model.config().vocab();
        return model.forward(tokens, 2, 12).clone();
    }

    @Test void adapterOutNeedsLoraAndABaseWithTheChatTokens() {
        List<String> args = new ArrayList<>(List.of("tune", "sft", "--model", chatBase.toString(), "--data", conversations.toString(),
                "--out", dir.resolve("x.gguf").toString(), "--adapter-out", dir.resolve("x-adapter.gguf").toString()));
        TuneCli.Run r = TuneCli.run(args.toArray(String[]::new));
        assertEquals(2, r.exit());
        assertEquals("parley: --adapter-out needs --lora-rank: full fine-tuning trains no adapter", r.err().strip());
        args.set(3, dir.resolve("base.gguf").toString());
        args.addAll(List.of("--lora-rank", "2"));
        r = TuneCli.run(args.toArray(String[]::new));
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("parley: --adapter-out: base.gguf has no chat template and lacks ChatML's tokens")
                && r.err().strip().lines().count() == 1, r.err());
    }
}
