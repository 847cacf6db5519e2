package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.tensor.Simd;
import dev.parley.inference.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A LoRA adapter read from a GGUF in llama.cpp's adapter format ({@code general.type = adapter}, {@code adapter.type =
 * lora}, {@code adapter.lora.alpha}, per adapted weight {@code blk.N.<tensor>.weight.lora_a} with GGUF shape [in, R] and
 * {@code .lora_b} with shape [R, out]), checked against the base it is served on: same architecture, every tensor a
 * known projection of an existing layer with the base's shapes. A projection W then computes x·Wᵀ + (alpha/R)·(x·Aᵀ)·Bᵀ,
 * as llama.cpp's {@code --lora} does (scale 1 where the file has no alpha, as there). Adapters are small (rank × (in +
 * out) floats per projection), so they are held on the heap in F32: A as R rows of {@code in}, B transposed as R rows
 * of {@code out}, so both halves of the delta run over contiguous rows.
 */
public final class LoraAdapter {
    /** The projections an adapter may cover, under the GGUF names of their base weights. */
    public enum Projection {
        Q("attn_q"), K("attn_k"), V("attn_v"), O("attn_output"), GATE("ffn_gate"), UP("ffn_up"), DOWN("ffn_down");

        public final String tensor;

        Projection(String tensor) { this.tensor = tensor; }

        /** The width of the projection's input in {@code c}. */
        public int in(ModelConfig c) {
            return switch (this) {
                case O -> c.qDim();
                case DOWN -> c.ffnDim();
                default -> c.dim();
            };
        }

        /** The width of the projection's output in {@code c}. */
        public int out(ModelConfig c) {
            return switch (this) {
                case Q -> c.qDim();
                case K, V -> c.kvDim();
                case O, DOWN -> c.dim();
                case GATE, UP -> c.ffnDim();
            };
        }
    }

    /** Distinct prefix-cache namespaces: a block computed under one adapter is never reused under another or the base. */
    private static final AtomicLong NAMESPACES = new AtomicLong();

    private final String name;
    private final Path path;
    private final float alpha;
    private final LowRank[][] deltas;
    private final int tensors;
    private final long cacheNamespace;

    private LoraAdapter(String name, Path path, float alpha, LowRank[][] deltas, int tensors) {
        this.name = name;
        this.path = path;
        this.alpha = alpha;
        this.deltas = deltas;
        this.tensors = tensors;
        // odd and far from 0 (the base's namespace): the chained block hashes of different namespaces never meet by design
        this.cacheNamespace = (NAMESPACES.incrementAndGet() * 0x9E3779B97F4A7C15L) | 1;
    }

    /**
     * Reads {@code path} as an adapter of {@code base}; any mismatch is a {@link dev.parley.inference.gguf.GgufException}
     * naming the file and what is wrong, in one line.
     */
    public static LoraAdapter load(String name, Path path, Model base) {
        ModelConfig c = base.config();
        String baseArch = base.file().getString("general.architecture");
        try (GgufFile f = GgufFile.open(path)) {
            String type = f.getString("general.type", null);
            if (!"adapter".equals(type))
                throw f.error("not a LoRA adapter: general.type is " + (type == null ? "missing" : "'" + type + "'") + ", expected 'adapter'");
            String adapterType = f.getString("adapter.type", null);
            if (!"lora".equals(adapterType))
                throw f.error("adapter.type is " + (adapterType == null ? "missing" : "'" + adapterType + "'") + ", only 'lora' is supported");
            String arch = f.getString("general.architecture", null);
            if (!baseArch.equals(arch))
                throw f.error("the adapter is for architecture '" + arch + "' but the base model is '" + baseArch + "'");
            float alpha = f.getFloat("adapter.lora.alpha", 0f);
            LowRank[][] deltas = new LowRank[c.layers()][Projection.values().length];
            int pairs = 0;
            for (String tensor : f.tensors().keySet()) {
                if (tensor.endsWith(".lora_b")) {
                    String pair = tensor.substring(0, tensor.length() - "b".length()) + "a";
                    if (f.tensor(pair) == null) throw f.error("tensor " + tensor + " has no " + pair);
                    continue;
                }
                if (!tensor.endsWith(".lora_a"))
                    throw f.error("tensor " + tensor + " is not a LoRA tensor (expected blk.N.<projection>.weight.lora_a/.lora_b)");
                String weight = tensor.substring(0, tensor.length() - ".lora_a".length());
                int layer = layerOf(f, weight, c.layers());
                Projection p = projectionOf(f, weight);
                deltas[layer][p.ordinal()] = read(f, weight, p.in(c), p.out(c), alpha);
                pairs++;
            }
            if (pairs == 0) throw f.error("the adapter has no LoRA tensors");
            return new LoraAdapter(name, path, alpha, deltas, pairs);
        }
    }

    private static int layerOf(GgufFile f, String weight, int layers) {
        String[] parts = weight.split("\\.");
        int layer = -1;
        if (parts.length == 4 && parts[0].equals("blk") && parts[3].equals("weight")) {
            try {
                layer = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                layer = -1;
            }
        }
        if (layer < 0) throw f.error("tensor " + weight + ".lora_a: not a block weight (expected blk.N.<projection>.weight)");
        if (layer >= layers) throw f.error("tensor " + weight + ".lora_a: the base model has " + layers + " layers");
        return layer;
    }

    private static Projection projectionOf(GgufFile f, String weight) {
        String tensor = weight.split("\\.")[2];
        for (Projection p : Projection.values()) if (p.tensor.equals(tensor)) return p;
        throw f.error("tensor " + weight + ": LoRA on '" + tensor + "' is not supported (supported: "
                + String.join(", ", Arrays.stream(Projection.values()).map(p -> p.tensor).toList()) + ")");
    }

    private static LowRank read(GgufFile f, String weight, int in, int out, float alpha) {
        TensorInfo a = f.tensor(weight + ".lora_a"), b = f.tensor(weight + ".lora_b");
        if (b == null) throw f.error("tensor " + weight + ".lora_a has no " + weight + ".lora_b");
        long[] as = a.shape(), bs = b.shape();
        if (as.length != 2 || bs.length != 2 || as[1] < 1 || as[1] != bs[0] || as[1] > Math.min(in, out))
            throw f.error("tensors " + weight + ".lora_a/.lora_b: shapes " + a.shapeString() + " and " + b.shapeString()
                    + " are not [in, R] and [R, out] with one rank R");
        int rank = (int) as[1];
        if (as[0] != in || bs[1] != out)
            throw f.error("tensors " + weight + ".lora_a/.lora_b: shapes " + a.shapeString() + " and " + b.shapeString()
                    + " do not fit the base model, which needs [" + in + ", R] and [R, " + out + "]");
        float[] down = dequantize(f, a, rank, in);
        float[] up = dequantize(f, b, out, rank);
        float[] upTransposed = new float[rank * out];
        for (int o = 0; o < out; o++) for (int k = 0; k < rank; k++) upTransposed[k * out + o] = up[o * rank + k];
        return new LowRank(down, upTransposed, rank, in, out, alpha == 0 ? 1f : alpha / rank);
    }

    private static float[] dequantize(GgufFile f, TensorInfo t, int rows, int cols) {
        float[] out = new float[rows * cols];
        try {
            WeightMatrix m = WeightMatrix.of(t.type(), f.tensorData(t), rows, cols);
            for (int r = 0; r < rows; r++) m.dequantizeRow(r, out, r * cols);
        } catch (IllegalArgumentException e) {
            throw f.error("tensor " + t.name() + ": " + e.getMessage());
        }
        return out;
    }

    public String name() { return name; }
    public Path path() { return path; }
    public float alpha() { return alpha; }
    /** How many weights the adapter covers (lora_a/lora_b pairs). */
    public int adaptedWeights() { return tensors; }

    /** The low-rank delta of one projection of one layer, or null when the adapter leaves it alone. */
    LowRank delta(int layer, Projection p) {
        return deltas[layer][p.ordinal()];
    }

    /** The root of the chained block hashes of sequences served with this adapter (the base's is 0). */
    public long cacheNamespace() { return cacheNamespace; }

    @Override public String toString() {
        return "LoRA adapter " + name + " (" + path + ", " + tensors + " weights, alpha " + alpha + ")";
    }

    /**
     * One projection's delta: {@code down} is A [rank × in], {@code upT} is Bᵀ [rank × out], both row-major, and
     * {@code scale} is alpha / rank.
     */
    record LowRank(float[] down, float[] upT, int rank, int in, int out, float scale) {
        /**
         * out[row] += scale·(x[row]·Aᵀ)·Bᵀ for every row of {@code rows[from, to)}, all of this adapter (one segment
         * of SGMV): each row of A and of Bᵀ is read once for the whole segment. {@code mid} holds rank floats per row.
         */
        void addTo(int[] rows, int from, int to, float[] x, int xStride, float[] y, int yStride, float[] mid) {
            int count = to - from;
            for (int k = 0; k < rank; k++)
                for (int j = 0; j < count; j++) mid[j * rank + k] = scale * dot(down, k * in, x, rows[from + j] * xStride, in);
            for (int k = 0; k < rank; k++)
                for (int j = 0; j < count; j++) axpy(mid[j * rank + k], upT, k * out, y, rows[from + j] * yStride, out);
        }

        private static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
            int i = 0;
            float sum = 0f;
            if (Simd.VECTORIZED) {
                FloatVector acc = FloatVector.zero(Simd.FLOATS);
                for (int bound = Simd.FLOATS.loopBound(n); i < bound; i += Simd.LANES)
                    acc = FloatVector.fromArray(Simd.FLOATS, a, aOff + i).fma(FloatVector.fromArray(Simd.FLOATS, b, bOff + i), acc);
                sum = acc.reduceLanes(VectorOperators.ADD);
            }
            for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
            return sum;
        }

        private static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
            int i = 0;
            if (Simd.VECTORIZED) {
                FloatVector va = FloatVector.broadcast(Simd.FLOATS, alpha);
                for (int bound = Simd.FLOATS.loopBound(n); i < bound; i += Simd.LANES)
                    FloatVector.fromArray(Simd.FLOATS, x, xOff + i).fma(va, FloatVector.fromArray(Simd.FLOATS, y, yOff + i))
                            .intoArray(y, yOff + i);
            }
            for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
        }
    }
}
