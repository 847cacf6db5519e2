package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The Llama the engine runs, for training: token embedding; per block RMSNorm, Q/K/V, RoPE, causal GQA, output
 * projection, residual, RMSNorm, SwiGLU feed-forward, residual; final RMSNorm and the tied embedding as output.
 * {@link #forward} runs B sequences of T tokens and keeps the activations {@link #backward} needs.
 */
public final class Llama {
    final LlamaConfig c;
    final Param embedding, outputNorm;
    final Layer[] layers;
    final List<Param> params = new ArrayList<>();
    private final Rope rope;
    private Activations a;
    /** Low-rank adapters on the projections; while attached the projections' base weights get no gradient. */
    private Lora lora;

    record Layer(Param attnNorm, Param wq, Param wk, Param wv, Param wo, Param ffnNorm, Param gate, Param up, Param down) {}

    /** Weights ~ N(0, 0.02); the projections into the residual stream scaled by 1/sqrt(2·layers) (GPT-2's init). */
    public Llama(LlamaConfig c, long seed) {
        this(c, randomInit(c, seed));
    }

    /** Makes a tensor of the model: its name, shape and the standard deviation of its random init (0 for a norm gain). */
    interface Tensors { Param make(String name, int rows, int cols, float std); }

    /** The tensors from {@code tensors}, in GGUF order (embedding, blocks, output norm). */
    Llama(LlamaConfig c, Tensors tensors) {
        this.c = c;
        rope = new Rope(c.context(), c.headDim(), LlamaConfig.ROPE_BASE);
        float std = 0.02f, residualStd = (float) (0.02 / Math.sqrt(2.0 * c.layers()));
        embedding = add(tensors.make("token_embd.weight", c.vocab(), c.dim(), std));
        layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(add(tensors.make(p + "attn_norm.weight", 1, c.dim(), 0)),
                    add(tensors.make(p + "attn_q.weight", c.dim(), c.dim(), std)),
                    add(tensors.make(p + "attn_k.weight", c.kvDim(), c.dim(), std)),
                    add(tensors.make(p + "attn_v.weight", c.kvDim(), c.dim(), std)),
                    add(tensors.make(p + "attn_output.weight", c.dim(), c.dim(), residualStd)),
                    add(tensors.make(p + "ffn_norm.weight", 1, c.dim(), 0)),
                    add(tensors.make(p + "ffn_gate.weight", c.ffn(), c.dim(), std)),
                    add(tensors.make(p + "ffn_up.weight", c.ffn(), c.dim(), std)),
                    add(tensors.make(p + "ffn_down.weight", c.dim(), c.ffn(), residualStd)));
        }
        outputNorm = add(tensors.make("output_norm.weight", 1, c.dim(), 0));
    }

    /** Matrices ~ N(0, std) drawn in GGUF order from one generator; norm gains 1. */
    private static Tensors randomInit(LlamaConfig c, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return (name, rows, cols, std) -> {
            Param p = new Param(name, rows, cols);
            if (rows == 1) Arrays.fill(p.w, 1f);
            else for (int i = 0; i < p.w.length; i++) p.w[i] = (float) (rnd.nextGaussian() * std);
            return p;
        };
    }

    private Param add(Param p) {
        params.add(p);
        return p;
    }

    public LlamaConfig config() { return c; }

    /** Attaches adapters (null detaches them): forward adds their deltas, backward trains them and freezes the projections. */
    void attach(Lora adapters) { this.lora = adapters; }

    /** The attached adapters, or null. */
    Lora adapters() { return lora; }

    /** The base weight of projection {@code p} in layer {@code l}. */
    Param weight(int l, Lora.Projection p) {
        Layer w = layers[l];
        return switch (p) {
            case Q -> w.wq; case K -> w.wk; case V -> w.wv; case O -> w.wo; case GATE -> w.gate; case UP -> w.up; case DOWN -> w.down;
        };
    }

    private void project(int l, Lora.Projection p, float[] x, float[] y, int n, int in, int out) {
        MatMul.forward(x, weight(l, p), y, n, in, out);
        if (lora != null) lora.adapter(l, p).forward(x, y, n, in, out);
    }

    private void projectBackward(int l, Lora.Projection p, float[] x, float[] dy, float[] dx, int n, int in, int out) {
        Param w = weight(l, p);
        // with adapters attached the projection is frozen: only dx (a weight bound in its GGUF format never takes a gradient)
        if (lora == null || w.frozen != null) MatMul.backward(x, w, dy, dx, n, in, out);
        else MatMul.backward(x, w.w, dy, dx, null, n, in, out);
        if (lora != null) lora.adapter(l, p).backward(x, dy, dx, n, in, out);
    }

    /**
     * Everything one forward pass of B×T tokens keeps for the backward pass, plus the backward's scratch. Sized for the
     * largest batch seen so far and reused by smaller ones: fine-tuning batches are padded to their longest example, so
     * every step has another T, and reallocating ~1 GB of activations per step (a 110M model, ~1000 tokens) cost more in
     * GC pauses and page faults than the step's arithmetic.
     */
    private static final class Activations {
        int b, t, n;
        final int capacity, probsCapacity;
        final float[] x, xFinal, xf, rf, logits;
        final float[][] xIn, xn1, r1, q, k, v, probs, att, xMid, xn2, r2, ga, ub, h;
        final float[] tmp, dx, dxn, datt, dq, dk, dv, dh, dga, dub;

        Activations(LlamaConfig c, int b, int t) {
            this.b = b;
            this.t = t;
            n = b * t;
            capacity = n;
            probsCapacity = b * t * t;
            int L = c.layers(), D = c.dim(), KV = c.kvDim(), F = c.ffn();
            x = new float[n * D]; xFinal = new float[n * D]; xf = new float[n * D]; rf = new float[n];
            logits = new float[n * c.vocab()];
            xIn = new float[L][n * D]; xn1 = new float[L][n * D]; r1 = new float[L][n];
            q = new float[L][n * D]; k = new float[L][n * KV]; v = new float[L][n * KV];
            probs = new float[L][b * c.heads() * t * t]; att = new float[L][n * D];
            xMid = new float[L][n * D]; xn2 = new float[L][n * D]; r2 = new float[L][n];
            ga = new float[L][n * F]; ub = new float[L][n * F]; h = new float[L][n * F];
            tmp = new float[n * D]; dx = new float[n * D]; dxn = new float[n * D]; datt = new float[n * D];
            dq = new float[n * D]; dk = new float[n * KV]; dv = new float[n * KV];
            dh = new float[n * F]; dga = new float[n * F]; dub = new float[n * F];
        }

        boolean fits(int b, int t) { return b * t <= capacity && b * t * t <= probsCapacity; }
    }

    private Activations activations(int b, int t) {
        if (t > c.context()) throw new IllegalArgumentException("sequence length " + t + " exceeds the context " + c.context());
        if (a == null || !a.fits(b, t)) {
            a = null; // the old buffers can go before the new ones are allocated
            a = new Activations(c, b, t);
        }
        a.b = b;
        a.t = t;
        a.n = b * t;
        return a;
    }

    /**
     * Runs B sequences of T tokens ({@code tokens} is [B·T]) and returns the logits [B·T × vocab] at the start of a reused
     * buffer (longer when an earlier batch was larger).
     */
    public float[] forward(int[] tokens, int b, int t) {
        Activations a = activations(b, t);
        int n = a.n, D = c.dim(), KV = c.kvDim(), F = c.ffn(), H = c.heads();
        float eps = LlamaConfig.RMS_EPS;
        float[] x = a.x;
        for (int i = 0; i < n; i++) embedding.row(tokens[i], x, i * D);
        for (int l = 0; l < c.layers(); l++) {
            Layer w = layers[l];
            System.arraycopy(x, 0, a.xIn[l], 0, n * D);
            RmsNorm.forward(x, w.attnNorm.w, a.xn1[l], a.r1[l], n, D, eps);
            project(l, Lora.Projection.Q, a.xn1[l], a.q[l], n, D, D);
            project(l, Lora.Projection.K, a.xn1[l], a.k[l], n, D, KV);
            project(l, Lora.Projection.V, a.xn1[l], a.v[l], n, D, KV);
            rope.forward(a.q[l], n, t, H);
            rope.forward(a.k[l], n, t, c.kvHeads());
            Attention.forward(a.q[l], a.k[l], a.v[l], a.att[l], a.probs[l], b, t, H, c.kvHeads(), c.headDim());
            project(l, Lora.Projection.O, a.att[l], a.tmp, n, D, D);
            for (int i = 0; i < n * D; i++) x[i] += a.tmp[i];
            System.arraycopy(x, 0, a.xMid[l], 0, n * D);
            RmsNorm.forward(x, w.ffnNorm.w, a.xn2[l], a.r2[l], n, D, eps);
            project(l, Lora.Projection.GATE, a.xn2[l], a.ga[l], n, D, F);
            project(l, Lora.Projection.UP, a.xn2[l], a.ub[l], n, D, F);
            SwiGlu.forward(a.ga[l], a.ub[l], a.h[l], n * F);
            project(l, Lora.Projection.DOWN, a.h[l], a.tmp, n, F, D);
            for (int i = 0; i < n * D; i++) x[i] += a.tmp[i];
        }
        System.arraycopy(x, 0, a.xFinal, 0, n * D);
        RmsNorm.forward(a.xFinal, outputNorm.w, a.xf, a.rf, n, D, eps);
        MatMul.forward(a.xf, embedding, a.logits, n, D, c.vocab());
        return a.logits;
    }

    /** Forward pass and mean cross-entropy against {@code targets}; with {@code train} also adds the gradients into every param's g. */
    public double loss(int[] tokens, int[] targets, int b, int t, boolean train) {
        float[] logits = forward(tokens, b, t);
        double loss = CrossEntropy.lossAndGradient(logits, targets, b * t, c.vocab(), train ? logits : null);
        if (train) backward(tokens);
        return loss;
    }

    /**
     * Backpropagates the logits gradient left in the logits buffer (the array {@link #forward} returned) by {@link #loss}
     * or by another objective, for the tokens of the last forward pass.
     */
    void backward(int[] tokens) {
        int n = a.n, t = a.t, D = c.dim(), KV = c.kvDim(), F = c.ffn(), H = c.heads();
        float[] dx = a.dx, dxn = a.dxn;
        Arrays.fill(dxn, 0f);
        MatMul.backward(a.xf, embedding, a.logits, dxn, n, D, c.vocab());
        Arrays.fill(dx, 0f);
        RmsNorm.backward(a.xFinal, outputNorm.w, a.rf, dxn, dx, outputNorm.grad(), n, D);
        for (int l = c.layers() - 1; l >= 0; l--) {
            Layer w = layers[l];
            // feed-forward: x = xMid + down(swiglu(gate(xn2), up(xn2)))
            Arrays.fill(a.dh, 0f);
            projectBackward(l, Lora.Projection.DOWN, a.h[l], dx, a.dh, n, F, D);
            SwiGlu.backward(a.ga[l], a.ub[l], a.dh, a.dga, a.dub, n * F);
            Arrays.fill(dxn, 0f);
            projectBackward(l, Lora.Projection.GATE, a.xn2[l], a.dga, dxn, n, D, F);
            projectBackward(l, Lora.Projection.UP, a.xn2[l], a.dub, dxn, n, D, F);
            RmsNorm.backward(a.xMid[l], w.ffnNorm.w, a.r2[l], dxn, dx, w.ffnNorm.grad(), n, D);
            // attention: xMid = xIn + wo(attention(rope(q), rope(k), v))
            Arrays.fill(a.datt, 0f);
            projectBackward(l, Lora.Projection.O, a.att[l], dx, a.datt, n, D, D);
            Arrays.fill(a.dq, 0f);
            Arrays.fill(a.dk, 0f);
            Arrays.fill(a.dv, 0f);
            Attention.backward(a.q[l], a.k[l], a.v[l], a.probs[l], a.datt, a.dq, a.dk, a.dv, a.b, t, H, c.kvHeads(), c.headDim());
            rope.backward(a.dq, n, t, H);
            rope.backward(a.dk, n, t, c.kvHeads());
            Arrays.fill(dxn, 0f);
            projectBackward(l, Lora.Projection.Q, a.xn1[l], a.dq, dxn, n, D, D);
            projectBackward(l, Lora.Projection.K, a.xn1[l], a.dk, dxn, n, D, KV);
            projectBackward(l, Lora.Projection.V, a.xn1[l], a.dv, dxn, n, D, KV);
            RmsNorm.backward(a.xIn[l], w.attnNorm.w, a.r1[l], dxn, dx, w.attnNorm.grad(), n, D);
        }
        float[] dEmbedding = embedding.grad();
        if (dEmbedding == null) return;
        int frozenRows = embedding.frozenRows;
        for (int i = 0; i < n; i++)
            if (tokens[i] >= frozenRows) VecMath.axpy(1f, dx, i * D, dEmbedding, (tokens[i] - frozenRows) * D, D);
    }

    public void zeroGradients() {
        for (Param p : params) if (p.g != null) Arrays.fill(p.g, 0f);
    }
}
