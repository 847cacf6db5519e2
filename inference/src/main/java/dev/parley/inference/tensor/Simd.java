package dev.parley.inference.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one place the vector width is chosen: the JVM's preferred shape (what C2 compiles to native instructions on
 * this CPU: 512 bits with AVX-512, 256 with AVX2 or SVE-256, 128 with NEON or SSE), capped at 512 bits because the
 * kernels' block layouts (32 values per block) give nothing to wider vectors. Every kernel reads its species from
 * here and is written for any of 4, 8 or 16 float lanes.
 *
 * <p>A preferred shape below 128 bits (the JVM's vector support off, or {@code -XX:MaxVectorSize} below 16) would
 * run the Vector API as Java code, 20-100x slower; then {@link #VECTORIZED} is false, a warning is logged once, and
 * the matrices take their scalar path instead.
 */
public final class Simd {
    private Simd() {}

    /** Bits of the preferred vector shape as the JVM reports it, before the cap. */
    public static final int PREFERRED_BITS = VectorShape.preferredShape().vectorBitSize();
    /** Whether the vector kernels run: the preferred shape is at least 128 bits (4 float lanes). */
    public static final boolean VECTORIZED = PREFERRED_BITS >= 128;
    /** Bits of the vectors the kernels use: the preferred shape capped at 512 (128 when not {@link #VECTORIZED}). */
    public static final int BITS = VECTORIZED ? Math.min(PREFERRED_BITS, 512) : 128;

    /** Float lanes: 16 at 512 bits, 8 at 256, 4 at 128. */
    public static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    public static final int LANES = FLOATS.length();
    /** Int lanes as many as float lanes (same shape), for conversions that keep the lane count. */
    static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, VectorShape.forBitSize(BITS));
    /** Short lanes as many as float lanes (half the bits). */
    static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    /**
     * Byte lanes as many as float lanes where such a species exists (128 and 64 bits); at 4 float lanes the 64-bit
     * species, whose 8 bytes feed two conversions (parts 0 and 1).
     */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, BITS / 4)));
    /** Conversions per {@link #BYTES} load: 1 at 8 or 16 float lanes, 2 at 4. */
    static final int BYTE_PARTS = BYTES.length() / LANES;
    /**
     * Short lanes twice as many as float lanes (the full width), for int16 products pair-summed into int lanes; used
     * below 16 float lanes (at 16, 32 int16 lanes would be a whole 32-value block per vector, and the 16-lane int16
     * kernels measured faster than a 256-bit pair-sum kernel on AVX-512: 37 against 25 tok/s, Q4_0 matmuls of a 1B shape).
     */
    static final VectorSpecies<Short> PAIRED_SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS));
    /** Byte lanes as many as {@link #PAIRED_SHORTS}' lanes (half the bits), which widen into them. */
    static final VectorSpecies<Byte> PAIRED_BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(BITS / 2));
    /** Long lanes of the full width, for the read-bandwidth probe. */
    public static final VectorSpecies<Long> LONGS = VectorSpecies.of(long.class, VectorShape.forBitSize(BITS));

    /** Lane index 0..LANES-1 times 8: shift counts that bring byte j of a broadcast int to the bottom of lane j. */
    private static final IntVector BYTE_SHIFTS = IntVector.zero(INTS).addIndex(8);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static {
        if (!VECTORIZED) {
            System.getLogger("dev.parley.inference").log(System.Logger.Level.WARNING, "the JVM's preferred vector shape is "
                    + PREFERRED_BITS + " bits (vector support off or -XX:MaxVectorSize below 16): the Vector API would run"
                    + " emulated, so the matrices use their scalar kernels, which are much slower than vector ones");
        }
    }

    /** One line for logs and {@code info}: bits, float lanes, and whether the kernels run as native vector code. */
    public static String describe() {
        return VECTORIZED
                ? BITS + "-bit vectors, " + LANES + " float lanes (JVM preferred shape " + PREFERRED_BITS + " bits, native)"
                : "scalar kernels (JVM preferred vector shape " + PREFERRED_BITS + " bits is too narrow for native vector code)";
    }

    /**
     * {@code LANES} unsigned bytes at {@code off}, zero-extended to int lanes. At 4 lanes no 32-bit byte species
     * exists, and a 64-bit load could read past the segment's end, so the 4 bytes are read as one int and
     * spread over the lanes by variable shifts.
     */
    static IntVector unsignedBytes(MemorySegment seg, long off) {
        if (LANES >= 8) {
            return (IntVector) ByteVector.fromMemorySegment(BYTES, seg, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, 0);
        }
        return IntVector.broadcast(INTS, seg.get(Numbers.LE_INT, off)).lanewise(VectorOperators.LSHR, BYTE_SHIFTS).and(0xFF);
    }

    /** {@code LANES} unsigned bytes at {@code off}, zero-extended to short lanes (see {@link #unsignedBytes}). */
    static ShortVector unsignedByteShorts(MemorySegment seg, long off) {
        if (LANES >= 8) {
            return (ShortVector) ByteVector.fromMemorySegment(BYTES, seg, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, SHORTS, 0);
        }
        return (ShortVector) unsignedBytes(seg, off).convertShape(VectorOperators.I2S, SHORTS, 0);
    }
}
