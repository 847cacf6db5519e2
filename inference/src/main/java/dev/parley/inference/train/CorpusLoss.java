package dev.parley.inference.train;

import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.SingleSequenceKvCache;
import dev.parley.inference.model.Transformer;
import dev.parley.inference.tokenizer.Tokenizer;

/**
 * A model's next-token loss on the validation part of a corpus, computed by the inference engine on the model file: the
 * corpus tokenized by the model's tokenizer, the last {@code valSplit} of its tokens (as {@code parley train} splits
 * them) cut into consecutive windows of the model's context, every position of every window predicted. Unlike the
 * trainer's validation (random windows), every validation token counts once, so two models are compared on the same text.
 */
final class CorpusLoss {
    /** Mean loss in nats per token, over {@code tokens} predicted tokens. */
    record Result(double loss, long tokens, int windows, int window) {}

    private CorpusLoss() {}

    static Result of(Model model, String corpus, double valSplit, int maxWindows) {
        if (!(valSplit > 0 && valSplit < 1)) throw new IllegalArgumentException("--val-split must be between 0 and 1");
        Tokenizer tok = model.tokenizer();
        int[] all = tok.encode(corpus, false, false);
        int split = (int) Math.round(all.length * (1 - valSplit));
        int window = model.config().contextLength();
        int windows = Math.min(maxWindows, (all.length - split - 1) / window);
        if (windows < 1) throw new IllegalArgumentException("the corpus's validation part is shorter than one context window");
        Transformer tf = model.transformer(MatmulMode.GGML);
        double sum = 0;
        try (SingleSequenceKvCache kv = model.newSingleSequenceKvCache(window)) {
            for (int w = 0; w < windows; w++) {
                int from = split + w * window;
                int[] ids = java.util.Arrays.copyOfRange(all, from, from + window);
                float[][] logits = tf.forward(ids, 0, kv, true);
                for (int i = 0; i < window; i++) sum += negLogProb(logits[i], all[from + i + 1]);
            }
        }
        return new Result(sum / ((long) windows * window), (long) windows * window, windows, window);
    }

    private static double negLogProb(float[] logits, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double z = 0;
        for (float l : logits) z += Math.exp(l - max);
        return max + Math.log(z) - logits[target];
    }
}
