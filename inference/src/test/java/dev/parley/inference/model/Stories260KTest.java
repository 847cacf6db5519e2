package dev.parley.inference.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.parley.inference.testing.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A real trained model (karpathy's stories260K) reproduces its golden greedy continuations token for token. */
class Stories260KTest {

    @Test
    void greedyFromBosAndFromPrompt() throws IOException {
        Path dir = Shared.path("models/stories260K");
        List<int[]> cases = Files.readAllLines(dir.resolve("greedy-expected.txt")).stream()
                .filter(l -> l.startsWith("ids:"))
                .map(l -> Arrays.stream(l.substring(4).trim().split(" ")).mapToInt(Integer::parseInt).toArray())
                .toList();
        try (Model model = Model.load(dir.resolve("stories260K.gguf"))) {
            Transformer tf = model.transformer(MatmulMode.GGML);
            // case 1: BOS only, then argmax for 256 steps (stopping early only on BOS)
            assertArrayEquals(cases.get(0), greedy(model, tf, new int[] {1}, 256));
            // case 2: the prompt's 5 tokens are forced; 64 forward steps in all
            int[] prompt = Arrays.copyOf(cases.get(1), 5);
            assertArrayEquals(new int[] {1, 403, 407, 261, 378}, model.tokenizer().encode("Once upon a time", true, false));
            assertArrayEquals(cases.get(1), greedy(model, tf, prompt, 64 - prompt.length + 1));
        }
    }

    private static int[] greedy(Model model, Transformer tf, int[] prompt, int steps) {
        int[] out = Arrays.copyOf(prompt, prompt.length + steps);
        try (SingleSequenceKvCache kv = model.newSingleSequenceKvCache(prompt.length + steps)) {
            float[] logits = tf.forward(prompt, 0, kv, false)[0];
            int n = prompt.length;
            for (int s = 0; s < steps; s++) {
                int next = ModelOracleTest.argmax(logits);
                if (next == 1) break;
                out[n] = next;
                if (s + 1 < steps) logits = tf.forward(new int[] {next}, n, kv, false)[0];
                n++;
            }
            return Arrays.copyOf(out, n);
        }
    }
}
