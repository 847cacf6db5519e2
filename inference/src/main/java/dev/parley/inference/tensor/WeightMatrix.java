package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 2-D weight matrix in one GGUF format, read in place from off-heap memory: {@code rows} rows of {@code cols}
 * values (ggml ne0 = cols, contiguous), rows stored one after another, each row {@code cols / blockSize} blocks.
 * One subclass per format, each with a Vector API dot product that reads the blocks straight from the segment.
 *
 * <p>Two dot products exist. {@link #dot(int, float[], int)} is exact F32 math on the dequantized weights.
 * {@link #dot(int, QuantizedActivation)} reproduces ggml's CPU mat-mul: the activation is first converted to
 * {@link #activationType()} and each block's integer dot is scaled as in {@code ggml_vec_dot_<type>_<vec_dot_type>}.
 *
 * <p>The kernels are written for 512-bit vectors (16 float lanes), the width measured best on the target
 * machine; on narrower hardware they stay correct but run emulated.
 */
public abstract class WeightMatrix {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
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
    public abstract float dot(int row, float[] x, int xOffset);

    /**
     * The activation format ggml's CPU backend uses for this weight type (ggml's vec_dot_type): F32 for F32, F16
     * for F16, BF16 for BF16, Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for Q4_K/Q5_K/Q6_K.
     */
    public abstract GgmlType activationType();

    /**
     * ggml-compatible dot: {@code x} was made by {@code QuantizedActivation.quantize(activationType(), ...)}; integer
     * dot per block then scaled, as ggml_vec_dot_&lt;type&gt;_&lt;vec_dot_type&gt; does.
     */
    public abstract float dot(int row, QuantizedActivation x);

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
