package dev.parley.inference.forge;

import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.model.LoraAdapter.Projection;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.ModelConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A LoRA adapter GGUF in llama.cpp's format with deterministic random weights for a given base, so adapter serving is
 * benchmarked and tested on any model without a tuning run: every layer's {@code projections} get {@code lora_a} [in,
 * R] uniform in ±1/sqrt(in) (PEFT's initial A) and {@code lora_b} [R, out] Gaussian with standard deviation
 * {@code bScale}, in F32. With B nonzero the adapter visibly changes the model's output, unlike a freshly initialized
 * one.
 */
public record SyntheticAdapter(int rank, float alpha, float bScale, List<Projection> projections, long seed) {
    public SyntheticAdapter {
        if (rank < 1) throw new IllegalArgumentException("rank " + rank + " must be at least 1");
        if (projections.isEmpty()) throw new IllegalArgumentException("an adapter covers at least one projection");
        projections = List.copyOf(projections);
    }

    /** Rank {@code rank}, alpha 2·rank, on every projection. */
    public SyntheticAdapter(int rank, long seed) {
        this(rank, 2f * rank, 0.02f, List.of(Projection.values()), seed);
    }

    public Path write(Model base, Path out) {
        ModelConfig c = base.config();
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of(base.file().getString("general.architecture")));
        w.put("general.type", GgufValue.of("adapter"));
        w.put("general.name", GgufValue.of("synthetic-lora-r" + rank + "-" + seed));
        w.put("adapter.type", GgufValue.of("lora"));
        w.put("adapter.lora.alpha", GgufValue.f32(alpha));
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int l = 0; l < c.layers(); l++)
            for (Projection p : projections) {
                String name = "blk." + l + "." + p.tensor + ".weight";
                int in = p.in(c), outDim = p.out(c);
                float[] a = new float[rank * in], b = new float[outDim * rank];
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < a.length; i++) a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
                for (int i = 0; i < b.length; i++) b[i] = (float) (rnd.nextGaussian() * bScale);
                w.addF32(name + ".lora_a", new long[] {in, rank}, a);
                w.addF32(name + ".lora_b", new long[] {rank, outDim}, b);
            }
        w.write(out);
        return out;
    }
}
