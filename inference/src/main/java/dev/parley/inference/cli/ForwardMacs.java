package dev.parley.inference.cli;

import dev.parley.inference.model.LayerWeights;
import dev.parley.inference.model.ModelConfig;
import dev.parley.inference.model.ModelWeights;
import dev.parley.inference.tensor.WeightMatrix;
import java.util.List;

/**
 * The multiply-adds of the batched forward pass, counted from the model's shapes, so {@code bench} can report prefill
 * and batched decode as GFLOP/s (2 FLOP per multiply-add) against the FMA peak. Counted: every layer matrix once per
 * row (q, k, v, o, gate, up, down: rows x cols each), the output matrix once per row that wants logits, and attention
 * (scores q.k and the weighted sum of values: 2 x heads x headDim per attended position, each row attending to its
 * own position and all before it, or its sliding window on local layers). Not counted: norms, RoPE, softmax, the
 * activation function, residual adds and activation quantization, which are element-wise (a few per value, against
 * thousands of multiply-adds per value in the matrices).
 */
final class ForwardMacs {
    /** What {@code bench} prints next to the GFLOP/s figures. */
    static final String COUNTED = "2 FLOP per multiply-add of the layer matrices (every row), the output matrix (rows with "
            + "logits) and attention (q.k and weights x v over each row's context); element-wise work not counted";

    private final ModelConfig config;
    private final long layerMacsPerRow, outputMacsPerRow;

    ForwardMacs(ModelConfig config, ModelWeights weights) {
        this.config = config;
        long layers = 0;
        for (LayerWeights l : weights.layers()) {
            for (WeightMatrix m : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down())) layers += (long) m.rows() * m.cols();
        }
        this.layerMacsPerRow = layers;
        this.outputMacsPerRow = (long) weights.output().rows() * weights.output().cols();
    }

    /** Attention multiply-adds of one row at {@code position} (0-based), over all layers. */
    long attentionMacs(int position) {
        long macs = 0;
        for (int l = 0; l < config.layers(); l++) {
            int span = position + 1;
            if (config.slidingWindow() > 0 && config.family().isLocalLayer(l)) span = Math.min(span, config.slidingWindow());
            macs += 2L * config.heads() * config.headDim() * span;
        }
        return macs;
    }

    /** A prefill of positions [0, prompt) in chunks of {@code chunk} rows, the last row of each chunk wanting logits. */
    long prefill(int prompt, int chunk) {
        long macs = (long) prompt * layerMacsPerRow + (long) ((prompt + chunk - 1) / chunk) * outputMacsPerRow;
        for (int p = 0; p < prompt; p++) macs += attentionMacs(p);
        return macs;
    }

    /** Decode steps at positions [from, from + steps) of {@code sequences} sequences, every row wanting logits. */
    long decode(int sequences, int from, int steps) {
        long macs = (long) steps * (layerMacsPerRow + outputMacsPerRow);
        for (int p = from; p < from + steps; p++) macs += attentionMacs(p);
        return sequences * macs;
    }
}
