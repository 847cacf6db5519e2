package dev.parley.inference.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * LoRA (Hu et al. 2021): every attention and feed-forward projection W [out × in] of a {@link Llama} gets a rank-R
 * delta, y = x·Wᵀ + (alpha/R)·(x·Aᵀ)·Bᵀ with A [R × in] and B [out × R]. B starts at zero, so the adapted model starts
 * as the base; A starts uniform in ±1/sqrt(in) (PEFT's Kaiming-uniform bound). Only A and B train; {@link #merge}
 * folds the scaled B·A into the base weights.
 */
final class Lora {
    /** The adapted projections, under the GGUF names of their base weights. */
    enum Projection {
        Q("attn_q"), K("attn_k"), V("attn_v"), O("attn_output"), GATE("ffn_gate"), UP("ffn_up"), DOWN("ffn_down");

        final String tensor;

        Projection(String tensor) { this.tensor = tensor; }
    }

    final int rank;
    final float alpha, scale;
    final List<Param> params = new ArrayList<>();
    private final Adapter[][] adapters;
    private final Llama model;

    Lora(Llama model, int rank, float alpha, long seed) {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank " + rank + " must be at least 1");
        this.model = model;
        this.rank = rank;
        this.alpha = alpha;
        this.scale = alpha / rank;
        SplittableRandom rnd = new SplittableRandom(seed);
        int layers = model.config().layers();
        adapters = new Adapter[layers][Projection.values().length];
        for (int l = 0; l < layers; l++)
            for (Projection p : Projection.values()) {
                Param w = model.weight(l, p);
                String name = "blk." + l + "." + p.tensor + ".weight";
                Param a = new Param(name + ".lora_a", rank, w.cols), b = new Param(name + ".lora_b", w.rows, rank);
                double bound = 1 / Math.sqrt(w.cols);
                for (int i = 0; i < a.w.length; i++) a.w[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                params.add(a);
                params.add(b);
                adapters[l][p.ordinal()] = new Adapter(a, b);
            }
    }

    Adapter adapter(int layer, Projection p) { return adapters[layer][p.ordinal()]; }

    /**
     * W += (alpha/R)·B·A for every projection: the merged model computes what base plus adapters compute. Needs the base in
     * F32 arrays; a base frozen in its GGUF format is merged tensor by tensor as it is written ({@link #addDelta}).
     */
    void merge() {
        for (int l = 0; l < adapters.length; l++)
            for (Projection p : Projection.values()) {
                Param w = model.weight(l, p);
                if (w.frozen != null) throw new IllegalStateException(w.name + " is frozen in its GGUF format: merge it as it is written");
                addDelta(w, w.w);
            }
    }

    /** values += (alpha/R)·B·A when {@code base} is an adapted projection ({@code values} its [rows × cols] F32 values). */
    void addDelta(Param base, float[] values) {
        for (int l = 0; l < adapters.length; l++)
            for (Projection p : Projection.values()) {
                if (model.weight(l, p) != base) continue;
                Adapter ad = adapters[l][p.ordinal()];
                int cols = base.cols;
                for (int o = 0; o < base.rows; o++)
                    for (int r = 0; r < rank; r++) VecMath.axpy(scale * ad.b.w[o * rank + r], ad.a.w, r * cols, values, o * cols, cols);
            }
    }

    /**
     * One n × out delta at a time (the adapters run one after another): a buffer per projection would keep 7 × layers of
     * them, ~400 MB for a 110M model at 1,000 tokens.
     */
    private float[] scratch = new float[0];

    private float[] scratch(int size) {
        if (scratch.length < size) scratch = new float[size];
        return scratch;
    }

    /** One projection's A and B, and x·Aᵀ of the last forward pass, which the backward pass needs. */
    final class Adapter {
        final Param a, b;
        private float[] down = new float[0], dDown = new float[0];

        Adapter(Param a, Param b) {
            this.a = a;
            this.b = b;
        }

        /** y += scale·(x·Aᵀ)·Bᵀ for x [n × in], y [n × out]. */
        void forward(float[] x, float[] y, int n, int in, int out) {
            if (down.length != n * rank) down = new float[n * rank];
            float[] delta = scratch(n * out);
            MatMul.forward(x, a.w, down, n, in, rank);
            MatMul.forward(down, b.w, delta, n, rank, out);
            VecMath.axpy(scale, delta, 0, y, 0, n * out);
        }

        /** dx += scale·dy·B·A, dB += scale·dyᵀ·(x·Aᵀ), dA += scale·(dy·B)ᵀ·x. */
        void backward(float[] x, float[] dy, float[] dx, int n, int in, int out) {
            if (dDown.length != n * rank) dDown = new float[n * rank];
            java.util.Arrays.fill(dDown, 0f);
            float[] scaled = scratch(n * out);
            for (int i = 0; i < n * out; i++) scaled[i] = scale * dy[i];
            MatMul.backward(down, b.w, scaled, dDown, b.grad(), n, rank, out);
            MatMul.backward(x, a.w, dDown, dx, a.grad(), n, in, rank);
        }
    }

    void zeroGradients() {
        for (Param p : params) if (p.g != null) java.util.Arrays.fill(p.g, 0f);
    }
}
