package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * A 2-D weight matrix in one GGUF format, read in place from off-heap memory: {@code rows} rows of {@code cols}
 * values (ggml ne0 = cols, contiguous), rows stored one after another, each row {@code cols / blockSize} blocks.
 * One subclass per format, each with a Vector API dot product that reads the blocks straight from the segment.
 *
 * <p>Two dot products exist. {@link #dot(int, float[], int)} is exact F32 math on the dequantized weights.
 * {@link #dot(int, QuantizedActivation)} reproduces ggml's CPU mat-mul: the activation is first converted to
 * {@link #activationType()} and each block's integer dot is scaled as in {@code ggml_vec_dot_<type>_<vec_dot_type>}.
 *
 * <p>The kernels take their species from {@link Simd}, the machine's preferred vector width, and are written for
 * 4, 8 or 16 float lanes. When the JVM offers no native vectors ({@link Simd#VECTORIZED} false) the public products
 * take a scalar path instead: the weights dequantized row by row and summed in column order.
 */
public abstract class WeightMatrix {
    static final VectorSpecies<Float> FLOATS = Simd.FLOATS;
    static final VectorSpecies<Integer> INTS = Simd.INTS;
    static final VectorSpecies<Short> SHORTS = Simd.SHORTS;
    static final VectorSpecies<Byte> BYTES = Simd.BYTES;
    static final VectorSpecies<Short> PAIRED_SHORTS = Simd.PAIRED_SHORTS;
    static final VectorSpecies<Byte> PAIRED_BYTES = Simd.PAIRED_BYTES;
    /** Float lanes per vector: 4, 8 or 16, see {@link Simd}. */
    static final int LANES = Simd.LANES;

    /** System property that makes every batch size compute a row's products bit for bit alike ({@link #BATCH_INVARIANT}). */
    public static final String BATCH_INVARIANT_PROPERTY = "parley.batch-invariant";
    /**
     * Whether single-row products use the folded kernels too, so a sequence's logits do not depend on how many other
     * sequences share its step (vLLM's VLLM_BATCH_INVARIANT). Off by default: the unfolded single-row kernels of the
     * formats that have one (Q8_0) are faster, and differ from the batched ones only in float rounding.
     */
    public static final boolean BATCH_INVARIANT = Boolean.getBoolean(BATCH_INVARIANT_PROPERTY);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    final MemorySegment data;
    final int rows;
    final int cols;
    /** Bytes per row. */
    final long rowBytes;
    /** Blocks per row. */
    final int blocks;

    WeightMatrix(MemorySegment data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type().bytesFor(cols);
        this.blocks = cols / type().blockSize;
    }

    /**
     * Wraps {@code data} (at least {@code rows * rowBytes} bytes; a longer segment is sliced) as a matrix of
     * {@code type}.
     *
     * @throws IllegalArgumentException for an unsupported type, a column count that is not a whole number of
     *     blocks, or a segment too small for the matrix
     */
    public static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (rows < 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException(type + ": cols " + cols + " not a multiple of block size " + type.blockSize);
        }
        long need = (long) rows * type.bytesFor(cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(type + " " + rows + "x" + cols + " needs " + need + " bytes, segment has "
                    + data.byteSize());
        }
        MemorySegment d = data.byteSize() == need ? data : data.asSlice(0, need);
        return switch (type) {
            case F32 -> new F32Matrix(d, rows, cols);
            case F16 -> new F16Matrix(d, rows, cols);
            case BF16 -> new BF16Matrix(d, rows, cols);
            case Q8_0 -> new Q8_0Matrix(d, rows, cols);
            case Q4_0 -> new Q4_0Matrix(d, rows, cols);
            case Q4_1 -> new Q4_1Matrix(d, rows, cols);
            case Q5_0 -> new Q5_0Matrix(d, rows, cols);
            case Q5_1 -> new Q5_1Matrix(d, rows, cols);
            case Q4_K -> new Q4_KMatrix(d, rows, cols);
            case Q5_K -> new Q5_KMatrix(d, rows, cols);
            case Q6_K -> new Q6_KMatrix(d, rows, cols);
            default -> throw new IllegalArgumentException("unsupported weight type " + type);
        };
    }

    public abstract GgmlType type();

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The whole matrix's bytes. */
    public MemorySegment data() {
        return data;
    }

    /** Exact ggml dequantization of one row into {@code dst[dstOffset .. dstOffset+cols)}. */
    public abstract void dequantizeRow(int row, float[] dst, int dstOffset);

    /** Dot of one row with F32 activations (weights dequantized on the fly, F32 math). */
    public final float dot(int row, float[] x, int xOffset) {
        if (!Simd.VECTORIZED) return scalarDot(row, x, xOffset);
        return vectorDot(row, x, xOffset);
    }

    /** {@link #dot(int, float[], int)} with this format's vector kernel. */
    abstract float vectorDot(int row, float[] x, int xOffset);

    /**
     * The activation format ggml's CPU backend uses for this weight type (ggml's vec_dot_type): F32 for F32, F16
     * for F16, BF16 for BF16, Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for Q4_K/Q5_K/Q6_K.
     */
    public abstract GgmlType activationType();

    /**
     * ggml-compatible dot: {@code x} was made by {@code QuantizedActivation.quantize(activationType(), ...)}; integer
     * dot per block then scaled, as ggml_vec_dot_&lt;type&gt;_&lt;vec_dot_type&gt; does.
     */
    public final float dot(int row, QuantizedActivation x) {
        if (!Simd.VECTORIZED) {
            checkActivation(x);
            return scalarDot(row, x);
        }
        return vectorDot(row, x);
    }

    /** {@link #dot(int, QuantizedActivation)} with this format's vector kernel. */
    abstract float vectorDot(int row, QuantizedActivation x);

    /** {@link #dot(int, QuantizedActivation)} without native vectors: {@link #scalarDot(int, float[], int)} on the activation's values. */
    float scalarDot(int row, QuantizedActivation x) {
        return scalarDot(row, x.format() == GgmlType.F32 || x.format() == GgmlType.F16 || x.format() == GgmlType.BF16 ? x.values : x.scaled, 0);
    }

    /**
     * {@link #scalarDot(int, QuantizedActivation)} of the formats with a per-block minimum (Q4_1, Q5_1): ggml's
     * d * dx * sumi + m * s per block, with {@code sumi} from {@link #scalarBlockSum}.
     */
    final float scalarDotWithMin(int row, QuantizedActivation x, int blockBytes) {
        checkActivation(x);
        long base = rowOffset(row);
        float sum = 0f;
        for (int b = 0; b < blocks; b++) {
            long off = base + (long) b * blockBytes;
            sum += Numbers.f16(data, off) * x.d[b] * scalarBlockSum(off, x, b) + Numbers.f16(data, off + 2) * x.s[b];
        }
        return sum;
    }

    /** The integer dot of block {@code b} (at {@code off}) with the activation's quants, for {@link #scalarDotWithMin}. */
    int scalarBlockSum(long off, QuantizedActivation x, int b) {
        throw new UnsupportedOperationException(type() + " has no per-block minimum");
    }

    /**
     * The scalar path without native vectors: the row dequantized exactly, then one float sum in column order. For
     * the ggml-compatible product {@code x} is the activation's dequantized values (q * d), so the result matches
     * ggml's integer sums up to float rounding.
     */
    final float scalarDot(int row, float[] x, int xOffset) {
        Objects.checkFromIndexSize(xOffset, cols, x.length);
        float[] w = SCALAR_ROW.get();
        if (w.length < cols) SCALAR_ROW.set(w = new float[cols]);
        dequantizeRow(row, w, 0);
        float sum = 0f;
        for (int i = 0; i < cols; i++) sum += w[i] * x[xOffset + i];
        return sum;
    }

    private static final ThreadLocal<float[]> SCALAR_ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code out[r] = dot(r, ...)} for r in [rowFrom, rowTo): the F32 path on {@code x} when {@code qx} is null,
     * else the ggml-compatible path on {@code qx}.
     */
    public void matvec(float[] x, QuantizedActivation qx, float[] out, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        Objects.checkFromToIndex(rowFrom, rowTo, out.length);
        if (qx == null) {
            for (int r = rowFrom; r < rowTo; r++) out[r] = dot(r, x, 0);
        } else {
            checkActivation(qx);
            for (int r = rowFrom; r < rowTo; r++) out[r] = dot(r, qx);
        }
    }

    /**
     * The ggml-compatible product of rows [rowFrom, rowTo) with a batch of activations:
     * {@code out[t * outStride + r] = dot(r, xs[t])} for t in [0, n). Formats with a tiled kernel decode each block
     * of 4 weight rows once and apply it to 4 activation rows (a 4x4 register tile), instead of decoding it again
     * for every activation row; the per-lane integer sums and their scaling are the ones {@code dot} computes, so
     * the results are the same.
     */
    public void matmul(QuantizedActivation[] xs, int n, float[] out, int outStride, int rowFrom, int rowTo) {
        checkBatch(n, out, outStride, rowFrom, rowTo);
        for (int t = 0; t < n; t++) checkActivation(xs[t]);
        if (!Simd.VECTORIZED) {
            for (int t = 0; t < n; t++) for (int r = rowFrom; r < rowTo; r++) out[t * outStride + r] = dot(r, xs[t]);
            return;
        }
        if (n == 1) {
            dotRows(xs[0], out, rowFrom, rowTo);
            return;
        }
        if (folded() && n >= panelMin()) {
            PanelScratch ps = PANEL.get().fit(n, cols);
            for (int t = 0; t < n; t++) {
                ps.x[t] = xs[t].foldedValues();
                ps.xOff[t] = 0;
            }
            panel(ps, n, out, outStride, rowFrom, rowTo);
            return;
        }
        for (int r = rowFrom; r < rowTo; r += 4) {
            int nr = Math.min(4, rowTo - r);
            for (int t = 0; t < n; t += 4) {
                int nt = Math.min(4, n - t);
                // a lone activation row gains nothing from a tile: dot is the best B=1 kernel
                if (nt == 1) for (int i = r; i < r + nr; i++) out[t * outStride + i] = dot(i, xs[t]);
                else tile(r, nr, xs, t, nt, out, outStride);
            }
        }
    }

    /**
     * One activation row (single-sequence decode): {@code out[r] = dot(r, x)} for r in [rowFrom, rowTo), rows and
     * activation already checked. Formats with an {@link #int16Dot} kernel run it over the rows directly:
     * a 2048-column Q8_0 row is only 64 blocks, and going through {@code dot} per row (virtual call, activation and
     * row checks) cost about 10% of the kernel's time (see BENCHMARKS.md, "Single-sequence decode on Zen 5").
     */
    final void dotRows(QuantizedActivation x, float[] out, int rowFrom, int rowTo) {
        if (BATCH_INVARIANT || !Simd.VECTORIZED || !hasInt16Dot()) {
            for (int r = rowFrom; r < rowTo; r++) out[r] = dot(r, x);
            return;
        }
        short[] qx = x.q16;
        float[] dx = x.d;
        for (int r = rowFrom; r < rowTo; r++) out[r] = int16Dot(r * rowBytes, qx, dx);
    }

    /** Whether this format has {@link #int16Dot}, its unfolded single-row kernel over int16 activation quants. */
    boolean hasInt16Dot() {
        return false;
    }

    /**
     * The unfolded single-row kernel of formats that have one (Q8_0, Q4_0): the row at byte {@code base} against the
     * activation's int16 quants {@code qx} and block scales {@code dx}, ggml's grouping (not batch-invariant).
     */
    float int16Dot(long base, short[] qx, float[] dx) {
        throw new UnsupportedOperationException(type() + " has no int16 single-row kernel");
    }

    /** The F32 analogue of {@link #matmul(QuantizedActivation[], int, float[], int, int, int)}: activation row t is {@code x[t * xStride ..]}. */
    public void matmul(float[] x, int xStride, int n, float[] out, int outStride, int rowFrom, int rowTo) {
        checkBatch(n, out, outStride, rowFrom, rowTo);
        if (n > 0) Objects.checkFromIndexSize(0, (long) (n - 1) * xStride + cols, x.length);
        if (!Simd.VECTORIZED) {
            for (int t = 0; t < n; t++) for (int r = rowFrom; r < rowTo; r++) out[t * outStride + r] = dot(r, x, t * xStride);
            return;
        }
        if (folded() && n >= panelMin()) {
            PanelScratch ps = PANEL.get().fit(n, cols);
            for (int t = 0; t < n; t++) {
                ps.x[t] = x;
                ps.xOff[t] = t * xStride;
            }
            panel(ps, n, out, outStride, rowFrom, rowTo);
            return;
        }
        for (int r = rowFrom; r < rowTo; r += 4) {
            int nr = Math.min(4, rowTo - r);
            for (int t = 0; t < n; t += 4) {
                int nt = Math.min(4, n - t);
                if (nt == 1) for (int i = r; i < r + nr; i++) out[t * outStride + i] = dot(i, x, t * xStride);
                else tile(r, nr, x, xStride, t, nt, out, outStride);
            }
        }
    }

    /**
     * Activation rows from which a format's batched product decodes weights once into an f32 panel instead of once
     * per 4 rows in registers: with 512-bit vectors (32 registers) from 8 rows the decode saved outweighs writing
     * and re-reading the panel. Narrower machines have 16 vector registers (AVX2, SSE) and the direct 4x4 tile's 16
     * accumulators plus 4 decoded weight vectors spill (kernels-avx2.md), so they use the panel from 2 rows.
     */
    static final int PANEL_MIN = LANES == 16 ? 8 : 2;

    /**
     * Activation rows from which this format uses the panel; formats without a 4x4 register tile start earlier.
     * Unquantized formats use it at 512 bits only for prompt-sized batches ({@link #BLOCKED_MIN} rows): for decode
     * batches their direct 4x4 tile reads the weights where they are and the panel would only add a copy, but over a
     * prompt that tile re-reads each 4-row group of 3-32 KB rows from L2 for every 4 activations (110M F32 prefill ran
     * at 0.20-0.30 of the FMA peak at 512 bits, 0.47-0.54 at 256 bits through the panel), where the K-blocked panel
     * reads L1-sized slices.
     */
    int panelMin() {
        return unquantized() && LANES == 16 ? BLOCKED_MIN : PANEL_MIN;
    }

    /**
     * F32 and F16: values, not blocks. They are folded when the rows are whole vectors: {@code dot}, the 4x4 tile and
     * the panel then all run one FMA per vector of values in column order and agree bit for bit, so below 512 bits
     * (16 registers) batches can use the panel's 2x4 tiles instead of the direct 4x4 tile, whose 16 accumulators spill.
     */
    boolean unquantized() {
        return false;
    }

    /**
     * Whether this format's products are "folded": every kernel (dot, tile, panel) multiplies weights decoded to
     * {@code d_w * q_w} with activations {@code d_x * q_x} ({@link QuantizedActivation#scaled}, or the F32 values),
     * one fused multiply-add per value, lane by lane in column order. The kernels then agree bit for bit, whichever
     * a batch size picks, and the panel runs at the f32 FMA rate.
     */
    boolean folded() {
        return unquantized() && cols % LANES == 0;
    }

    /** Folded formats: row {@code row} decoded to {@code d * q} floats into {@code dst[off .. off+cols)}. */
    void decodeFolded(int row, float[] dst, int off) {
        throw new UnsupportedOperationException(type() + " is not folded");
    }

    /**
     * Per-thread scratch of the panel product: 4 decoded weight rows, the activation rows' arrays and offsets, and for
     * {@link #blockedPanel} the packed activations and the parked accumulators.
     */
    static final class PanelScratch {
        float[] panel = new float[0];
        float[][] x = new float[0][];
        int[] xOff = new int[0];
        float[] packed = new float[0];
        float[] parked = new float[0];

        float[] packed(int floats) {
            if (packed.length < floats) packed = new float[floats];
            return packed;
        }

        float[] parked(int floats) {
            if (parked.length < floats) parked = new float[floats];
            return parked;
        }

        PanelScratch fit(int n, int cols) {
            if (panel.length < 4 * cols) panel = new float[4 * cols];
            if (x.length < n) {
                x = new float[n][];
                xOff = new int[n];
            }
            return this;
        }
    }

    private static final ThreadLocal<PanelScratch> PANEL = ThreadLocal.withInitial(PanelScratch::new);

    /**
     * The panel product: each group of 4 weight rows is decoded once into the f32 panel (about 4 x cols floats, L1
     * or L2 resident), then an f32 4x4 register tile runs over all activation rows with two loads per FMA pair.
     */
    private void panel(PanelScratch ps, int n, float[] out, int outStride, int rowFrom, int rowTo) {
        if (LANES == 16 && cols > 2 * PANEL_BLOCK && n >= BLOCKED_MIN) {
            blockedPanel(ps, n, out, outStride, rowFrom, rowTo);
            return;
        }
        float[] p = ps.panel;
        for (int r = rowFrom; r < rowTo; r += 4) {
            int nr = Math.min(4, rowTo - r);
            for (int k = 0; k < 4; k++) decodeFolded(nth(r, k, nr), p, k * cols);
            for (int t = 0; t < n; t += 4) {
                int nt = Math.min(4, n - t);
                int t1 = nth(t, 1, nt), t2 = nth(t, 2, nt), t3 = nth(t, 3, nt);
                if (LANES == 16) {
                    panelTile(p, cols, ps.x[t], ps.x[t1], ps.x[t2], ps.x[t3], ps.xOff[t], ps.xOff[t1], ps.xOff[t2], ps.xOff[t3],
                            r, nth(r, 1, nr), nth(r, 2, nr), nth(r, 3, nr), t, t1, t2, t3, out, outStride);
                } else {
                    // 16 registers: two 2x4 tiles (8 accumulators, 2 weight vectors, 1 activation) instead of one 4x4
                    panelTile2(p, 0, cols, ps.x[t], ps.x[t1], ps.x[t2], ps.x[t3], ps.xOff[t], ps.xOff[t1], ps.xOff[t2], ps.xOff[t3],
                            r, nth(r, 1, nr), t, t1, t2, t3, out, outStride);
                    if (nr > 2) {
                        panelTile2(p, 2 * cols, cols, ps.x[t], ps.x[t1], ps.x[t2], ps.x[t3], ps.xOff[t], ps.xOff[t1], ps.xOff[t2],
                                ps.xOff[t3], nth(r, 2, nr), nth(r, 3, nr), t, t1, t2, t3, out, outStride);
                    }
                }
            }
        }
    }

    /**
     * Columns per block of {@link #blockedPanel}: the 4 panel rows' slice is 8 KB, and stays in L1 (48 KB on Zen 5)
     * while the activations' slices stream past it.
     */
    static final int PANEL_BLOCK = 512;
    /**
     * Activation rows from which the panel product is K-blocked. Batched decode of 8 or 16 rows gains nothing: their
     * activations (16 x 8 KB at 2048 columns) stay in L2 anyway, and the parking and packing cost them (1B Q4_0, 16
     * sequences: 66 against 70-74 tok/s aggregate).
     */
    static final int BLOCKED_MIN = 32;

    /**
     * The panel product for rows longer than {@code 2 * PANEL_BLOCK} columns at 16 lanes, K-blocked: the 4x4 tile runs
     * over one block of columns for every activation group, parks its 16 accumulators, and resumes them in the next
     * block, so each (row, activation) pair still gets one FMA chain per lane in column order (bit for bit the
     * unblocked tile's). Unblocked, a 4-row panel of 2048-8192 columns (32-128 KB) plus the activations streaming past
     * it overflow L1 and the tile waits on L2 for both operands: 1B-shape matmuls ran at ~half the FMA peak.
     * The activations are first packed block by block, each group of 4 rows interleaved vector by vector, so the tile
     * reads them as one sequential stream instead of 4 rows at the same offsets of their arrays (which fall into the
     * same L1 sets and evict the panel).
     */
    private void blockedPanel(PanelScratch ps, int n, float[] out, int outStride, int rowFrom, int rowTo) {
        int groups = (n + 3) / 4;
        float[] packed = ps.packed(4 * groups * cols), parked = ps.parked(16 * LANES * groups);
        for (int c0 = 0; c0 < cols; c0 += PANEL_BLOCK) {
            int len = Math.min(PANEL_BLOCK, cols - c0);
            for (int g = 0; g < groups; g++) {
                int t = 4 * g, nt = Math.min(4, n - t), dst = 4 * (c0 * groups + g * len);
                for (int j = 0; j < 4; j++) {
                    int tj = nth(t, j, nt);
                    float[] x = ps.x[tj];
                    int src = ps.xOff[tj] + c0;
                    for (int i = 0; i < len; i += LANES) FloatVector.fromArray(FLOATS, x, src + i).intoArray(packed, dst + 4 * i + j * LANES);
                }
            }
        }
        float[] p = ps.panel;
        for (int r = rowFrom; r < rowTo; r += 4) {
            int nr = Math.min(4, rowTo - r);
            for (int k = 0; k < 4; k++) decodeFolded(nth(r, k, nr), p, k * cols);
            int r1 = nth(r, 1, nr), r2 = nth(r, 2, nr), r3 = nth(r, 3, nr);
            for (int c0 = 0; c0 < cols; c0 += PANEL_BLOCK) {
                int len = Math.min(PANEL_BLOCK, cols - c0);
                boolean first = c0 == 0, last = c0 + len == cols;
                for (int g = 0; g < groups; g++) {
                    int t = 4 * g, nt = Math.min(4, n - t);
                    packedTile(p, c0, cols, len, packed, 4 * (c0 * groups + g * len), parked, 16 * LANES * g, first, last,
                            r, r1, r2, r3, t, nth(t, 1, nt), nth(t, 2, nt), nth(t, 3, nt), out, outStride);
                }
            }
        }
    }

    /**
     * {@link #panelTile} over columns [c0, c0+len) with the 4 activation rows packed at {@code x[xo ..]} (vector i of
     * row j at {@code xo + 4 * i + j * LANES}); accumulators start at zero in the first block, else from
     * {@code parked[po ..]}, and are parked again unless this is the last block, which writes the 16 sums.
     */
    private static void packedTile(float[] p, int c0, int cols, int len, float[] x, int xo, float[] parked, int po, boolean first,
                                   boolean last, int r0, int r1, int r2, int r3, int t0, int t1, int t2, int t3, float[] out, int outStride) {
        FloatVector c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
        if (first) {
            c00 = FloatVector.zero(FLOATS); c01 = c00; c02 = c00; c03 = c00; c10 = c00; c11 = c00; c12 = c00; c13 = c00;
            c20 = c00; c21 = c00; c22 = c00; c23 = c00; c30 = c00; c31 = c00; c32 = c00; c33 = c00;
        } else {
            c00 = FloatVector.fromArray(FLOATS, parked, po); c01 = FloatVector.fromArray(FLOATS, parked, po + LANES);
            c02 = FloatVector.fromArray(FLOATS, parked, po + 2 * LANES); c03 = FloatVector.fromArray(FLOATS, parked, po + 3 * LANES);
            c10 = FloatVector.fromArray(FLOATS, parked, po + 4 * LANES); c11 = FloatVector.fromArray(FLOATS, parked, po + 5 * LANES);
            c12 = FloatVector.fromArray(FLOATS, parked, po + 6 * LANES); c13 = FloatVector.fromArray(FLOATS, parked, po + 7 * LANES);
            c20 = FloatVector.fromArray(FLOATS, parked, po + 8 * LANES); c21 = FloatVector.fromArray(FLOATS, parked, po + 9 * LANES);
            c22 = FloatVector.fromArray(FLOATS, parked, po + 10 * LANES); c23 = FloatVector.fromArray(FLOATS, parked, po + 11 * LANES);
            c30 = FloatVector.fromArray(FLOATS, parked, po + 12 * LANES); c31 = FloatVector.fromArray(FLOATS, parked, po + 13 * LANES);
            c32 = FloatVector.fromArray(FLOATS, parked, po + 14 * LANES); c33 = FloatVector.fromArray(FLOATS, parked, po + 15 * LANES);
        }
        int p1 = cols, p2 = 2 * cols, p3 = 3 * cols;
        for (int i = 0; i < len; i += LANES) {
            int pi = c0 + i, xi = xo + 4 * i;
            FloatVector w0 = FloatVector.fromArray(FLOATS, p, pi), w1 = FloatVector.fromArray(FLOATS, p, p1 + pi);
            FloatVector w2 = FloatVector.fromArray(FLOATS, p, p2 + pi), w3 = FloatVector.fromArray(FLOATS, p, p3 + pi);
            FloatVector xv = FloatVector.fromArray(FLOATS, x, xi);
            c00 = w0.fma(xv, c00); c10 = w1.fma(xv, c10); c20 = w2.fma(xv, c20); c30 = w3.fma(xv, c30);
            xv = FloatVector.fromArray(FLOATS, x, xi + LANES);
            c01 = w0.fma(xv, c01); c11 = w1.fma(xv, c11); c21 = w2.fma(xv, c21); c31 = w3.fma(xv, c31);
            xv = FloatVector.fromArray(FLOATS, x, xi + 2 * LANES);
            c02 = w0.fma(xv, c02); c12 = w1.fma(xv, c12); c22 = w2.fma(xv, c22); c32 = w3.fma(xv, c32);
            xv = FloatVector.fromArray(FLOATS, x, xi + 3 * LANES);
            c03 = w0.fma(xv, c03); c13 = w1.fma(xv, c13); c23 = w2.fma(xv, c23); c33 = w3.fma(xv, c33);
        }
        if (!last) {
            c00.intoArray(parked, po); c01.intoArray(parked, po + LANES); c02.intoArray(parked, po + 2 * LANES); c03.intoArray(parked, po + 3 * LANES);
            c10.intoArray(parked, po + 4 * LANES); c11.intoArray(parked, po + 5 * LANES);
            c12.intoArray(parked, po + 6 * LANES); c13.intoArray(parked, po + 7 * LANES);
            c20.intoArray(parked, po + 8 * LANES); c21.intoArray(parked, po + 9 * LANES);
            c22.intoArray(parked, po + 10 * LANES); c23.intoArray(parked, po + 11 * LANES);
            c30.intoArray(parked, po + 12 * LANES); c31.intoArray(parked, po + 13 * LANES);
            c32.intoArray(parked, po + 14 * LANES); c33.intoArray(parked, po + 15 * LANES);
            return;
        }
        out[t0 * outStride + r0] = c00.reduceLanes(ADD); out[t1 * outStride + r0] = c01.reduceLanes(ADD);
        out[t2 * outStride + r0] = c02.reduceLanes(ADD); out[t3 * outStride + r0] = c03.reduceLanes(ADD);
        out[t0 * outStride + r1] = c10.reduceLanes(ADD); out[t1 * outStride + r1] = c11.reduceLanes(ADD);
        out[t2 * outStride + r1] = c12.reduceLanes(ADD); out[t3 * outStride + r1] = c13.reduceLanes(ADD);
        out[t0 * outStride + r2] = c20.reduceLanes(ADD); out[t1 * outStride + r2] = c21.reduceLanes(ADD);
        out[t2 * outStride + r2] = c22.reduceLanes(ADD); out[t3 * outStride + r2] = c23.reduceLanes(ADD);
        out[t0 * outStride + r3] = c30.reduceLanes(ADD); out[t1 * outStride + r3] = c31.reduceLanes(ADD);
        out[t2 * outStride + r3] = c32.reduceLanes(ADD); out[t3 * outStride + r3] = c33.reduceLanes(ADD);
    }

    /** 4 panel rows x 4 activation rows in f32, 16 accumulators; lane order as every folded kernel's. */
    private static void panelTile(float[] p, int cols, float[] x0, float[] x1, float[] x2, float[] x3, int o0, int o1, int o2, int o3,
                                  int r0, int r1, int r2, int r3, int t0, int t1, int t2, int t3, float[] out, int outStride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int p1 = cols, p2 = 2 * cols, p3 = 3 * cols;
        for (int i = 0; i < cols; i += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, p, i), w1 = FloatVector.fromArray(FLOATS, p, p1 + i);
            FloatVector w2 = FloatVector.fromArray(FLOATS, p, p2 + i), w3 = FloatVector.fromArray(FLOATS, p, p3 + i);
            FloatVector x = FloatVector.fromArray(FLOATS, x0, o0 + i);
            c00 = w0.fma(x, c00); c10 = w1.fma(x, c10); c20 = w2.fma(x, c20); c30 = w3.fma(x, c30);
            x = FloatVector.fromArray(FLOATS, x1, o1 + i);
            c01 = w0.fma(x, c01); c11 = w1.fma(x, c11); c21 = w2.fma(x, c21); c31 = w3.fma(x, c31);
            x = FloatVector.fromArray(FLOATS, x2, o2 + i);
            c02 = w0.fma(x, c02); c12 = w1.fma(x, c12); c22 = w2.fma(x, c22); c32 = w3.fma(x, c32);
            x = FloatVector.fromArray(FLOATS, x3, o3 + i);
            c03 = w0.fma(x, c03); c13 = w1.fma(x, c13); c23 = w2.fma(x, c23); c33 = w3.fma(x, c33);
        }
        out[t0 * outStride + r0] = c00.reduceLanes(ADD); out[t1 * outStride + r0] = c01.reduceLanes(ADD);
        out[t2 * outStride + r0] = c02.reduceLanes(ADD); out[t3 * outStride + r0] = c03.reduceLanes(ADD);
        out[t0 * outStride + r1] = c10.reduceLanes(ADD); out[t1 * outStride + r1] = c11.reduceLanes(ADD);
        out[t2 * outStride + r1] = c12.reduceLanes(ADD); out[t3 * outStride + r1] = c13.reduceLanes(ADD);
        out[t0 * outStride + r2] = c20.reduceLanes(ADD); out[t1 * outStride + r2] = c21.reduceLanes(ADD);
        out[t2 * outStride + r2] = c22.reduceLanes(ADD); out[t3 * outStride + r2] = c23.reduceLanes(ADD);
        out[t0 * outStride + r3] = c30.reduceLanes(ADD); out[t1 * outStride + r3] = c31.reduceLanes(ADD);
        out[t2 * outStride + r3] = c32.reduceLanes(ADD); out[t3 * outStride + r3] = c33.reduceLanes(ADD);
    }

    /** Panel rows at {@code p[pOff ..]} and {@code p[pOff + cols ..]} x 4 activation rows, 8 accumulators; lane order as {@link #panelTile}'s. */
    private static void panelTile2(float[] p, int pOff, int cols, float[] x0, float[] x1, float[] x2, float[] x3, int o0, int o1, int o2,
                                   int o3, int r0, int r1, int t0, int t1, int t2, int t3, float[] out, int outStride) {
        FloatVector c00 = FloatVector.zero(FLOATS), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        int p1 = pOff + cols;
        for (int i = 0; i < cols; i += LANES) {
            FloatVector w0 = FloatVector.fromArray(FLOATS, p, pOff + i), w1 = FloatVector.fromArray(FLOATS, p, p1 + i);
            FloatVector x = FloatVector.fromArray(FLOATS, x0, o0 + i);
            c00 = w0.fma(x, c00); c10 = w1.fma(x, c10);
            x = FloatVector.fromArray(FLOATS, x1, o1 + i);
            c01 = w0.fma(x, c01); c11 = w1.fma(x, c11);
            x = FloatVector.fromArray(FLOATS, x2, o2 + i);
            c02 = w0.fma(x, c02); c12 = w1.fma(x, c12);
            x = FloatVector.fromArray(FLOATS, x3, o3 + i);
            c03 = w0.fma(x, c03); c13 = w1.fma(x, c13);
        }
        out[t0 * outStride + r0] = c00.reduceLanes(ADD); out[t1 * outStride + r0] = c01.reduceLanes(ADD);
        out[t2 * outStride + r0] = c02.reduceLanes(ADD); out[t3 * outStride + r0] = c03.reduceLanes(ADD);
        out[t0 * outStride + r1] = c10.reduceLanes(ADD); out[t1 * outStride + r1] = c11.reduceLanes(ADD);
        out[t2 * outStride + r1] = c12.reduceLanes(ADD); out[t3 * outStride + r1] = c13.reduceLanes(ADD);
    }

    /**
     * One tile of the ggml-compatible batch product: weight rows [r0, r0+nr) times activation rows [t0, t0+nt),
     * nr and nt in 1..4. Kernels that always compute a full 4x4 tile repeat the last row or activation for the
     * missing ones: a repeated pair computes the same value and stores it to the same place.
     */
    void tile(int r0, int nr, QuantizedActivation[] xs, int t0, int nt, float[] out, int outStride) {
        for (int r = r0; r < r0 + nr; r++)
            for (int t = t0; t < t0 + nt; t++) out[t * outStride + r] = dot(r, xs[t]);
    }

    /** One tile of the F32 batch product, as {@link #tile(int, int, QuantizedActivation[], int, int, float[], int)}. */
    void tile(int r0, int nr, float[] x, int xStride, int t0, int nt, float[] out, int outStride) {
        for (int r = r0; r < r0 + nr; r++)
            for (int t = t0; t < t0 + nt; t++) out[t * outStride + r] = dot(r, x, t * xStride);
    }

    private void checkBatch(int n, float[] out, int outStride, int rowFrom, int rowTo) {
        Objects.checkFromToIndex(rowFrom, rowTo, rows);
        if (n < 0 || outStride < rows) throw new IllegalArgumentException("batch " + n + ", out stride " + outStride + " for " + rows + " rows");
        if (n > 0) Objects.checkFromIndexSize(0, (long) (n - 1) * outStride + rows, out.length);
    }

    /** Row or activation k (0..3) of a tile starting at {@code first} with {@code count} valid ones; the last repeats. */
    static int nth(int first, int k, int count) {
        return first + Math.min(k, count - 1);
    }

    /**
     * Floats of per-thread scratch a tile kernel may use: 16 lane accumulators, each in a slot of 16 floats (at most
     * {@code LANES} used), then 16 scalars.
     */
    static final int ACC_FLOATS = 16 * 16 + 16;
    static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[ACC_FLOATS]);

    /** An all-ones array of at least n floats: the activation scales of the F32 path, where only weights have one. */
    static float[] ones(int n) {
        float[] o = ones;
        if (o.length < n) {
            o = new float[n];
            java.util.Arrays.fill(o, 1f);
            ones = o; // a racing thread may build its own copy: harmless
        }
        return o;
    }

    private static volatile float[] ones = new float[0];

    /** Byte offset of a row, after checking the row index and (for F32 paths) the activation range. */
    final long rowOffset(int row, float[] x, int xOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(xOffset, cols, x.length);
        return row * rowBytes;
    }

    final long rowOffset(int row) {
        Objects.checkIndex(row, rows);
        return row * rowBytes;
    }

    final void checkActivation(QuantizedActivation x) {
        if (x.format() != activationType() || x.length() != cols) {
            throw new IllegalArgumentException(type() + " " + rows + "x" + cols + " needs a " + activationType()
                    + " activation of length " + cols + ", got " + x.format() + " of length " + x.length());
        }
    }

    @Override
    public String toString() {
        return type() + "[" + rows + "x" + cols + "]";
    }
}
