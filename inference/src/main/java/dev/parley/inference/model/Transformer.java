package dev.parley.inference.model;

import dev.parley.inference.tensor.QuantizedActivation;
import dev.parley.inference.tensor.Simd;
import dev.parley.inference.tensor.WeightMatrix;
import dev.parley.inference.kv.PagedKvCache;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import dev.parley.inference.kv.KvFormat;
import dev.parley.inference.model.LoraAdapter.Projection;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The forward pass shared by every supported family: token embeddings, then per block RMSNorm, Q/K/V projections
 * (optional biases, optional per-head Q/K RMSNorm), RoPE, causal grouped-query attention over the KV cache, output
 * projection, residual; RMSNorm, gated SiLU feed-forward, residual; final RMSNorm and the vocabulary projection.
 * A call processes a chunk of consecutive tokens of one sequence at once, so each weight row is read once per chunk.
 * Rows served with a LoRA adapter add its low-rank delta to each projection it covers, after the shared base product.
 */
public final class Transformer {
    private final ModelConfig config;
    private final ModelWeights weights;
    private final MatmulMode mode;
    private final float ropeThetaScale, ropeLocalThetaScale;

    public Transformer(ModelConfig config, ModelWeights weights, MatmulMode mode) {
        this.config = config;
        this.weights = weights;
        this.mode = mode;
        this.ropeThetaScale = ropeThetaScale(config.ropeBase(), config.ropeDim());
        this.ropeLocalThetaScale = ropeThetaScale(config.ropeLocalBase(), config.ropeDim());
    }

    public ModelConfig config() { return config; }
    public MatmulMode mode() { return mode; }

    /**
     * Runs {@code tokens} of one sequence at positions {@code startPos, startPos+1, ...}, storing their keys and values
     * in {@code kv}: a batch of one sequence through the same pass the engine uses.
     *
     * @param allLogits return logits for every token of the chunk (else only for the last one)
     * @return logits, one vocabulary-sized row per returned position
     */
    public float[][] forward(int[] tokens, int startPos, SingleSequenceKvCache kv, boolean allLogits) {
        return forward(tokens, startPos, kv, allLogits, null);
    }

    /** The same, computed with a LoRA {@code adapter} over the base weights (null: the base alone). */
    public float[][] forward(int[] tokens, int startPos, SingleSequenceKvCache kv, boolean allLogits, LoraAdapter adapter) {
        float[][] rows = forward(singleSequence(tokens, startPos, kv, allLogits, false, adapter), kv.paged, kv.buffers);
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) out[i] = rows[i].clone(); // the buffers' rows are reused next step
        return out;
    }

    /**
     * Runs {@code tokens} of one sequence from position {@code startPos} like {@link #forward(int[], int,
     * SingleSequenceKvCache, boolean)}, returning every token's final normed hidden state (what embeddings pool)
     * instead of logits.
     */
    public float[][] hiddenStates(int[] tokens, int startPos, SingleSequenceKvCache kv) {
        forward(singleSequence(tokens, startPos, kv, false, true, null), kv.paged, kv.buffers);
        int n = tokens.length, dim = config.dim();
        float[][] out = new float[n][];
        for (int t = 0; t < n; t++) out[t] = java.util.Arrays.copyOfRange(kv.buffers.hiddenStates(), t * dim, (t + 1) * dim);
        return out;
    }

    /** The rows of one sequence's tokens from {@code startPos}: logits for the last (or all), hidden states if asked. */
    private static Batch singleSequence(int[] tokens, int startPos, SingleSequenceKvCache kv, boolean allLogits, boolean hidden,
                                        LoraAdapter adapter) {
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("no tokens");
        if (startPos < 0 || startPos + n > kv.capacity()) throw new IllegalArgumentException("positions " + startPos + ".." + (startPos + n) + " exceed the cache capacity " + kv.capacity());
        Batch b = kv.batch;
        b.clear();
        for (int t = 0; t < n; t++) b.add(tokens[t], startPos + t, kv.table, !hidden && (allLogits || t == n - 1), hidden, adapter);
        return b;
    }

    /**
     * One step over a mixed batch of sequences whose keys and values live in the paged cache: every weight matrix is
     * multiplied against all rows of the batch at once. A row's result does not depend on which other rows share the
     * step (activations are quantized per row, attention reads only the row's own sequence), so batched output equals
     * sequential output bit for bit.
     *
     * @return the logits of the rows flagged for them, in row order; the arrays belong to {@code buf} and are
     *     overwritten by its next step (as are the hidden states of rows flagged for them, {@link
     *     ForwardBuffers#hiddenStates()})
     */
    public float[][] forward(Batch b, PagedKvCache kv, ForwardBuffers buf) {
        int n = b.size;
        if (n == 0) throw new IllegalArgumentException("empty batch");
        for (int t = 0; t < n; t++) {
            int tok = b.tokens[t], pos = b.positions[t];
            if (tok < 0 || tok >= config.vocabSize()) throw new IllegalArgumentException("token id " + tok + " out of range [0, " + config.vocabSize() + ")");
            if (pos < 0 || pos >= config.contextLength()) throw new IllegalArgumentException("position " + pos + " outside the context " + config.contextLength());
            if (pos / kv.blockSize() >= b.tables[t].length) throw new IllegalArgumentException("position " + pos + " has no block");
        }
        buf.ensure(n, b.logitRows);
        if (b.adaptedRows > 0) b.groupByAdapter();
        int dim = config.dim(), qDim = config.qDim(), kvDim = config.kvDim(), ffn = config.ffnDim(), bs = kv.blockSize();
        float[] x = buf.x, xb = buf.xb, q = buf.q, k = buf.k, v = buf.v, att = buf.att, gate = buf.gate, up = buf.up;
        QuantizedActivation[] qa = buf.quantized;

        for (int t = 0; t < n; t++) weights.tokenEmbedding().dequantizeRow(b.tokens[t], x, t * dim);
        if (config.family().scaleEmbeddings()) {
            float scale = (float) Math.sqrt(dim);
            for (int i = 0; i < n * dim; i++) x[i] *= scale;
        }

        for (int l = 0; l < config.layers(); l++) {
            LayerWeights lw = weights.layers()[l];
            boolean local = config.slidingWindow() > 0 && config.family().isLocalLayer(l);
            rmsNorm(x, lw.attnNorm(), xb, n, dim);
            matmul(lw.wq(), q, lw.wk(), k, lw.wv(), v, xb, dim, n, qa);
            if (b.adaptedRows > 0) {
                addLora(b, l, Projection.Q, xb, dim, q, qDim);
                addLora(b, l, Projection.K, xb, dim, k, kvDim);
                addLora(b, l, Projection.V, xb, dim, v, kvDim);
            }
            for (int t = 0; t < n; t++) {
                int pos = b.positions[t];
                addBias(q, t * qDim, lw.bq());
                addBias(k, t * kvDim, lw.bk());
                addBias(v, t * kvDim, lw.bv());
                if (lw.qNorm() != null) headNorm(q, t * qDim, config.heads(), lw.qNorm());
                if (lw.kNorm() != null) headNorm(k, t * kvDim, config.kvHeads(), lw.kNorm());
                rope(q, t * qDim, config.heads(), pos, local);
                rope(k, t * kvDim, config.kvHeads(), pos, local);
                kv.store(l, b.tables[t][pos / bs], pos % bs, k, t * kvDim, v, t * kvDim);
            }
            pagedAttention(kv, l, b, q, att, local ? config.slidingWindow() : 0);
            matmul(lw.wo(), att, qDim, xb, n, qa);
            if (b.adaptedRows > 0) addLora(b, l, Projection.O, att, qDim, xb, dim);
            if (lw.attnPostNorm() != null) rmsNorm(xb, lw.attnPostNorm(), xb, n, dim);
            for (int i = 0; i < n * dim; i++) x[i] += xb[i];

            rmsNorm(x, lw.ffnNorm(), xb, n, dim);
            matmul(lw.gate(), gate, lw.up(), up, null, null, xb, dim, n, qa);
            if (b.adaptedRows > 0) {
                addLora(b, l, Projection.GATE, xb, dim, gate, ffn);
                addLora(b, l, Projection.UP, xb, dim, up, ffn);
            }
            if (config.family().activation() == Activation.GELU_TANH) for (int i = 0; i < n * ffn; i++) gate[i] = geluTanh(gate[i]) * up[i];
            else for (int i = 0; i < n * ffn; i++) gate[i] = silu(gate[i]) * up[i];
            matmul(lw.down(), gate, ffn, xb, n, qa);
            if (b.adaptedRows > 0) addLora(b, l, Projection.DOWN, gate, ffn, xb, dim);
            if (lw.ffnPostNorm() != null) rmsNorm(xb, lw.ffnPostNorm(), xb, n, dim);
            for (int i = 0; i < n * dim; i++) x[i] += xb[i];
        }

        if (b.hiddenRows > 0) { // the rows embeddings pool: normed as for the logits, without the vocabulary projection
            int count = 0;
            for (int t = 0; t < n; t++) if (b.hidden[t]) System.arraycopy(x, t * dim, xb, count++ * dim, dim);
            rmsNorm(xb, weights.outputNorm(), buf.hidden, count, dim);
        }
        int count = 0;
        for (int t = 0; t < n; t++) if (b.logits[t]) System.arraycopy(x, t * dim, xb, count++ * dim, dim);
        float[][] rows = java.util.Arrays.copyOf(buf.logitRows, count);
        if (count == 0) return rows;
        rmsNorm(xb, weights.outputNorm(), buf.normed, count, dim);
        int vocab = config.vocabSize();
        matmul(weights.output(), buf.normed, dim, buf.logits, count, qa);
        if (config.finalSoftcap() > 0) softcap(buf.logits, count * vocab, config.finalSoftcap());
        for (int i = 0; i < count; i++) System.arraycopy(buf.logits, i * vocab, rows[i], 0, vocab);
        return rows;
    }

    /** Per worker thread: the rank-sized intermediate x·Aᵀ of the rows of one adapter segment. */
    private static final ThreadLocal<float[][]> LORA_MID = ThreadLocal.withInitial(() -> new float[][] {new float[256]});

    /**
     * Adds each adapted row's low-rank delta of projection {@code p} to the base product in {@code out} (vLLM's
     * punica/SGMV: the base product was computed once for all rows; rows are taken segment by segment, one adapter
     * each, so an adapter's A and B are read once per segment). Threads split the adapted rows into ranges.
     */
    private void addLora(Batch b, int layer, Projection p, float[] in, int inStride, float[] out, int outStride) {
        Parallel.forChunks(b.adaptedRows, 4, (from, to) -> {
            int[] order = b.adaptedOrder;
            for (int start = from; start < to; ) {
                LoraAdapter adapter = b.adapters[order[start]];
                int end = start + 1;
                while (end < to && b.adapters[order[end]] == adapter) end++;
                LoraAdapter.LowRank delta = adapter.delta(layer, p);
                if (delta != null) {
                    float[][] holder = LORA_MID.get();
                    if (holder[0].length < (end - start) * delta.rank()) holder[0] = new float[(end - start) * delta.rank()];
                    delta.addTo(order, start, end, in, inStride, out, outStride, holder[0]);
                }
                start = end;
            }
        });
    }

    /** Scores of one attention job, per worker thread: sized to the longest sequence seen, never reallocated per op. */
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[][] {new float[256]});

    /** Causal attention of each row's query heads over its own sequence's positions 0..pos, read through its block table. */
    private void pagedAttention(PagedKvCache kv, int layer, Batch b, float[] q, float[] out, int window) {
        int hd = config.headDim(), qDim = config.qDim(), group = config.heads() / config.kvHeads(), bs = kv.blockSize();
        float scale = config.attentionScale(), cap = config.attnSoftcap();
        boolean vectorKv = Simd.VECTORIZED && kv.format() == KvFormat.F32 && hd % Simd.LANES == 0;
        Parallel.forEach(b.size * config.heads(), job -> {
            int t = job / config.heads(), h = job % config.heads(), pos = b.positions[t];
            // a local layer sees the last `window` positions, its own included (llama.cpp masks pos - p >= window)
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
            int[] table = b.tables[t];
            int qOff = t * qDim + h * hd, headOff = (h / group) * hd;
            float[][] holder = SCORES.get();
            if (holder[0].length <= pos) holder[0] = new float[Math.max(pos + 1, holder[0].length * 2)];
            float[] scores = holder[0];
            if (vectorKv) attendF32(kv, layer, table, bs, first, pos, q, qOff, headOff, hd, scale, cap, scores, out);
            else attendScalar(kv, layer, table, bs, first, pos, q, qOff, headOff, hd, scale, cap, scores, out);
        });
    }

    private static final VectorSpecies<Float> FLOATS = Simd.FLOATS;

    /**
     * One query head over positions first..pos of an F32 cache, a vector of {@link Simd#LANES} at a time: scores q·k (scaled, optionally
     * soft-capped), a softmax in double, then the weighted sum of the values accumulated in {@code out}.
     */
    private static void attendF32(PagedKvCache kv, int layer, int[] table, int bs, int first, int pos, float[] q, int qOff,
                                  int headOff, int hd, float scale, float cap, float[] scores, float[] out) {
        MemorySegment mem = kv.memory();
        long headBytes = 4L * headOff;
        float max = Float.NEGATIVE_INFINITY;
        for (int p = first; p <= pos; p++) {
            long base = kv.keyOffset(layer, table[p / bs], p % bs) + headBytes;
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int i = 0; i < hd; i += Simd.LANES) {
                acc = FloatVector.fromArray(FLOATS, q, qOff + i).fma(FloatVector.fromMemorySegment(FLOATS, mem, base + 4L * i, ByteOrder.nativeOrder()), acc);
            }
            float s = acc.reduceLanes(VectorOperators.ADD) * scale;
            scores[p] = cap > 0 ? cap * (float) Math.tanh(s / cap) : s;
            max = Math.max(max, scores[p]);
        }
        double sum = 0;
        for (int p = first; p <= pos; p++) {
            scores[p] = (float) Math.exp(scores[p] - max);
            sum += scores[p];
        }
        float inv = (float) (1.0 / sum);
        java.util.Arrays.fill(out, qOff, qOff + hd, 0f);
        for (int p = first; p <= pos; p++) {
            FloatVector a = FloatVector.broadcast(FLOATS, scores[p] * inv);
            long base = kv.valueOffset(layer, table[p / bs], p % bs) + headBytes;
            for (int i = 0; i < hd; i += Simd.LANES) {
                FloatVector.fromMemorySegment(FLOATS, mem, base + 4L * i, ByteOrder.nativeOrder()).fma(a, FloatVector.fromArray(FLOATS, out, qOff + i)).intoArray(out, qOff + i);
            }
        }
    }

    /** The same attention element by element, for F16 caches, head sizes that are not a multiple of the lanes, and no vectors. */
    private static void attendScalar(PagedKvCache kv, int layer, int[] table, int bs, int first, int pos, float[] q, int qOff,
                                     int headOff, int hd, float scale, float cap, float[] scores, float[] out) {
        float max = Float.NEGATIVE_INFINITY;
        for (int p = first; p <= pos; p++) {
            long base = kv.keyOffset(layer, table[p / bs], p % bs);
            float dot = 0f;
            for (int i = 0; i < hd; i++) dot += q[qOff + i] * kv.get(base, headOff + i);
            float s = dot * scale;
            scores[p] = cap > 0 ? cap * (float) Math.tanh(s / cap) : s;
            max = Math.max(max, scores[p]);
        }
        double sum = 0;
        for (int p = first; p <= pos; p++) {
            scores[p] = (float) Math.exp(scores[p] - max);
            sum += scores[p];
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < hd; i++) out[qOff + i] = 0f;
        for (int p = first; p <= pos; p++) {
            float a = scores[p] * inv;
            long base = kv.valueOffset(layer, table[p / bs], p % bs);
            for (int i = 0; i < hd; i++) out[qOff + i] += a * kv.get(base, headOff + i);
        }
    }

    /**
     * out[t][r] = W[r] · in[t] for the n rows of the step. Each thread takes one contiguous range of weight rows and
     * multiplies it by all n activation rows with the matrix's batched (tiled) kernel, so a weight block is read and
     * decoded once per 4 activation rows. In GGML mode each activation row is quantized once per call.
     */
    private void matmul(WeightMatrix m, float[] in, int inStride, float[] out, int n, QuantizedActivation[] qa) {
        matmul(m, out, null, null, null, null, in, inStride, n, qa);
    }

    /**
     * Up to three matrices of the same input (Q, K, V; gate, up) as one job for the thread team: the input is
     * quantized once and the threads split the matrices' rows as one range, so a layer hands work to the team four
     * times instead of seven, and the small K/V matrices no longer pay a hand-off and a tail each. Every row is
     * computed by the same kernel as it would be alone, so results are identical. Matrices wanting different
     * activation formats fall back to one job each. {@code second} and {@code third} may be null.
     */
    private void matmul(WeightMatrix first, float[] outFirst, WeightMatrix second, float[] outSecond, WeightMatrix third, float[] outThird,
                        float[] in, int inStride, int n, QuantizedActivation[] qa) {
        boolean sameFormat = (second == null || second.activationType() == first.activationType())
                && (third == null || third.activationType() == first.activationType());
        if (mode == MatmulMode.GGML && !sameFormat) {
            matmul(first, in, inStride, outFirst, n, qa);
            matmul(second, in, inStride, outSecond, n, qa);
            if (third != null) matmul(third, in, inStride, outThird, n, qa);
            return;
        }
        if (mode == MatmulMode.GGML) Parallel.forEach(n, t -> qa[t].quantize(first.activationType(), in, t * inStride, first.cols()));
        int ra = first.rows(), rb = second == null ? 0 : second.rows(), rc = third == null ? 0 : third.rows();
        Parallel.forChunks(ra + rb + rc, 16, (from, to) -> {
            part(first, outFirst, 0, from, to, in, inStride, n, qa);
            if (second != null) part(second, outSecond, ra, from, to, in, inStride, n, qa);
            if (third != null) part(third, outThird, ra + rb, from, to, in, inStride, n, qa);
        });
    }

    /** The rows of {@code m}, which starts at {@code base} of a joint range, that fall in [from, to). */
    private void part(WeightMatrix m, float[] out, int base, int from, int to, float[] in, int inStride, int n, QuantizedActivation[] qa) {
        int lo = Math.max(from, base) - base, hi = Math.min(to, base + m.rows()) - base;
        if (lo >= hi) return;
        if (mode == MatmulMode.GGML) m.matmul(qa, n, out, m.rows(), lo, hi);
        else m.matmul(in, inStride, n, out, m.rows(), lo, hi);
    }

    /** x / sqrt(mean(x²) + eps) * weight, per row; the sum of squares is accumulated in double as ggml does. */
    private void rmsNorm(float[] in, float[] weight, float[] out, int n, int dim) {
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) in[off + i] * in[off + i];
            float scale = (float) (1.0 / Math.sqrt((float) (ss / dim) + config.rmsEps()));
            for (int i = 0; i < dim; i++) out[off + i] = in[off + i] * scale * weight[i];
        }
    }

    /** Qwen3's per-head RMSNorm of queries and keys, in place. */
    private void headNorm(float[] x, int off, int heads, float[] weight) {
        int hd = config.headDim();
        for (int h = 0; h < heads; h++) {
            int o = off + h * hd;
            double ss = 0;
            for (int i = 0; i < hd; i++) ss += (double) x[o + i] * x[o + i];
            float scale = (float) (1.0 / Math.sqrt((float) (ss / hd) + config.rmsEps()));
            for (int i = 0; i < hd; i++) x[o + i] = x[o + i] * scale * weight[i];
        }
    }

    private static void addBias(float[] x, int off, float[] bias) {
        if (bias == null) return;
        for (int i = 0; i < bias.length; i++) x[off + i] += bias[i];
    }

    /** base^(−2/n_rot): the ratio between successive pair frequencies. */
    private static float ropeThetaScale(float base, int ropeDim) {
        return (float) Math.pow(base, -2.0 / ropeDim);
    }

    /**
     * Rotates every head's first n_rot dimensions by θ_i = pos · scale · base^(−2i/n_rot) / factor_i. θ is built by
     * repeated float multiplication, exactly as ggml's rope cache does, so the angles match llama.cpp bit for bit.
     */
    private void rope(float[] x, int off, int heads, int pos, boolean local) {
        int hd = config.headDim(), pairs = config.ropeDim() / 2;
        float thetaScale = local ? ropeLocalThetaScale : ropeThetaScale, posScale = local ? config.ropeLocalScale() : config.ropeScale();
        boolean neox = config.family().ropeStyle() == RopeStyle.NEOX;
        float[] factors = weights.ropeFreqFactors();
        float theta = pos;
        for (int i = 0; i < pairs; i++) {
            float angle = posScale * (factors == null ? theta : theta / factors[i]);
            float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
            for (int h = 0; h < heads; h++) {
                int a = off + h * hd + (neox ? i : 2 * i);
                int b = a + (neox ? pairs : 1);
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * cos - x1 * sin;
                x[b] = x0 * sin + x1 * cos;
            }
            theta *= thetaScale;
        }
    }

    /** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    private static float geluTanh(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654 * (x + 0.044715f * x * x * x)));
    }

    /** cap·tanh(x/cap): Gemma 2 bounds its logits this way. */
    private static void softcap(float[] x, int n, float cap) {
        for (int i = 0; i < n; i++) x[i] = cap * (float) Math.tanh(x[i] / cap);
    }

    private static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }
}
