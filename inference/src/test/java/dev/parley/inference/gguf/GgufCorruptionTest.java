package dev.parley.inference.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.model.Model;
import dev.parley.inference.forge.SyntheticModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and damaged files: every one must end in the engine's own one-line {@link GgufException} naming the file —
 * never another exception, an OutOfMemoryError or a crash.
 */
class GgufCorruptionTest {
    @TempDir static Path tmp;
    static byte[] valid;
    static long dataOffset;

    @BeforeAll
    static void writeValidModel() throws IOException {
        Path p = SyntheticModel.tiny().write(tmp.resolve("valid.gguf"));
        valid = Files.readAllBytes(p);
        try (GgufFile f = GgufFile.open(p)) {
            dataOffset = f.dataOffset();
        }
        try (Model m = Model.load(p)) {
            assertEquals(2, m.config().layers());
        }
    }

    /** Loads bytes as a model; passes if it loads or fails with a clear GgufException, fails on anything else. */
    private static String loadOutcome(byte[] bytes, String name) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        try (Model m = Model.load(p)) {
            return "loaded";
        } catch (GgufException e) {
            assertTrue(e.getMessage().startsWith(p.toString() + ": "), "message names the file: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            return e.getMessage();
        } catch (Throwable t) {
            throw new AssertionError(name + ": escaped as " + t, t);
        }
    }

    private static String mustFail(byte[] bytes, String expectedFragment) throws IOException {
        String outcome = loadOutcome(bytes, "case.gguf");
        assertNotEquals("loaded", outcome, "expected an error containing '" + expectedFragment + "'");
        assertTrue(outcome.contains(expectedFragment), "'" + outcome + "' should contain '" + expectedFragment + "'");
        return outcome;
    }

    private static byte[] header(Consumer<ByteBuffer> body) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        body.accept(b);
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void str(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }

    @Test
    void badMagicVersionAndEmptyFiles() throws IOException {
        mustFail(new byte[0], "too small");
        mustFail("GGML".getBytes(StandardCharsets.US_ASCII), "not a GGUF file");
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(1).putLong(0).putLong(0)), "version 1");
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(99).putLong(0).putLong(0)), "unsupported GGUF version 99");
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(3)), "truncated");
    }

    @Test
    void hugeCountsAndLengthsAreRejectedBeforeAllocating() throws IOException {
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(3).putLong(Long.MAX_VALUE).putLong(0)), "tensor count");
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(-1L)), "metadata count");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); b.putLong(Long.MAX_VALUE).put(new byte[64]); }), "string length");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); b.putLong(1L << 40).put(new byte[64]); }), "too large");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "k"); b.putInt(9).putInt(4).putLong(1L << 60); }), "array length");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "k"); b.putInt(9).putInt(8).putLong(3); str(b, "a"); }), "array length 3 is larger than the file can hold");
        mustFail(header(b -> {
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "k"); b.putInt(9);
            for (int i = 0; i < 100; i++) b.putInt(9).putLong(1);
        }), "nested deeper");
    }

    @Test
    void wrongTypesAndValues() throws IOException {
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "k"); b.putInt(13); }), "unknown value type 13");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "k"); b.putInt(7).put((byte) 5); }), "invalid bool");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "general.alignment"); b.putInt(4).putInt(3); }), "power of two");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(2); str(b, "a"); b.putInt(4).putInt(1); str(b, "a"); b.putInt(4).putInt(1); }), "duplicate metadata key a");
        mustFail(header(b -> { b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1); str(b, "general.architecture"); b.putInt(4).putInt(1); }), "expected a string");
        mustFail(header(b -> b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(0)), "missing required key general.architecture");
    }

    private static byte[] oneTensor(int nDims, long[] dims, int type, long offset, int dataBytes) {
        return header(b -> {
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(1).putLong(0);
            str(b, "t");
            b.putInt(nDims);
            for (long d : dims) b.putLong(d);
            b.putInt(type).putLong(offset);
            while (b.position() % 32 != 0) b.put((byte) 0);
            b.put(new byte[dataBytes]);
        });
    }

    @Test
    void hostileTensorInfos() throws IOException {
        mustFail(oneTensor(5, new long[] {1, 1, 1, 1, 1}, 0, 0, 4), "dimensions");
        mustFail(oneTensor(2, new long[] {0, 4}, 0, 0, 4), "dimension 0 is 0");
        mustFail(oneTensor(2, new long[] {-1, 4}, 0, 0, 4), "dimension 0");
        mustFail(oneTensor(2, new long[] {1L << 40, 1L << 40}, 0, 0, 4), "overflows");
        mustFail(oneTensor(1, new long[] {4}, 77, 0, 16), "unknown tensor type 77");
        mustFail(oneTensor(1, new long[] {16}, 8, 0, 34), "not a multiple of the Q8_0 block size");
        mustFail(oneTensor(1, new long[] {8}, 0, 0, 16), "outside the file");
        mustFail(oneTensor(1, new long[] {4}, 0, Long.MAX_VALUE - 31, 16), "offset");
        mustFail(oneTensor(1, new long[] {4}, 0, 3, 16), "alignment");
        mustFail(header(b -> {
            b.putInt(GgufFile.MAGIC).putInt(3).putLong(2).putLong(0);
            str(b, "a"); b.putInt(1).putLong(16).putInt(0).putLong(0);
            str(b, "b"); b.putInt(1).putLong(16).putInt(0).putLong(32);
            while (b.position() % 32 != 0) b.put((byte) 0);
            b.put(new byte[128]);
        }), "overlap");
    }

    @Test
    void modelLevelChecks() throws IOException {
        Path p = tmp.resolve("shape.gguf");
        // a model whose attn_q has the wrong shape, via the writer
        GgufWriter w = new GgufWriter();
        try (GgufFile f = GgufFile.open(SyntheticModel.tiny().write(tmp.resolve("src.gguf")))) {
            w.putAll(f.metadata());
            for (TensorInfo t : f.tensors().values()) {
                long[] shape = t.name().equals("blk.1.attn_q.weight") ? new long[] {t.shape()[0], t.shape()[1] / 2} : t.shape();
                long bytes = t.type().bytesFor(shape[0] * (shape.length > 1 ? shape[1] : 1));
                w.addTensor(t.name(), t.type(), shape, seg -> seg.copyFrom(f.tensorData(t).asSlice(0, bytes)));
            }
            w.write(p);
        }
        mustFail(Files.readAllBytes(p), "tensor blk.1.attn_q.weight: shape [64, 32], expected [64, 64]");

        byte[] arch = valid.clone();
        int at = indexOf(arch, "llama".getBytes(StandardCharsets.US_ASCII));
        arch[at] = 'x';
        mustFail(arch, "unsupported architecture 'xlama'");

        byte[] key = valid.clone();
        int k = indexOf(key, "llama.block_count".getBytes(StandardCharsets.US_ASCII));
        key[k + 6] = 'X';
        mustFail(key, "missing required key llama.block_count");
    }

    @Test
    void everyTruncationOfAValidModelFailsCleanly() throws IOException {
        for (int len = 0; len < valid.length; len += (len < dataOffset + 64 ? 1 : 997)) {
            String outcome = loadOutcome(Arrays.copyOf(valid, len), "trunc.gguf");
            assertNotEquals("loaded", outcome, "truncated to " + len + " bytes");
        }
    }

    @Test
    void fuzzedMutationsNeverEscape() throws IOException {
        SplittableRandom rnd = new SplittableRandom(20261128);
        int loaded = 0, rejected = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] bytes = valid.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int pos = rnd.nextInt(10) < 9 ? rnd.nextInt((int) dataOffset) : rnd.nextInt(bytes.length);
                switch (rnd.nextInt(4)) {
                    case 0 -> bytes[pos] ^= (byte) (1 << rnd.nextInt(8));
                    case 1 -> bytes[pos] = (byte) rnd.nextInt(256);
                    case 2 -> { for (int j = 0; j < 8 && pos + j < bytes.length; j++) bytes[pos + j] = (byte) 0xff; }
                    default -> { for (int j = 0; j < 4 && pos + j < bytes.length; j++) bytes[pos + j] = 0; }
                }
            }
            if (loadOutcome(bytes, "fuzz.gguf").equals("loaded")) loaded++; else rejected++;
        }
        assertTrue(rejected > 1000, "most header mutations must be detected (rejected " + rejected + ", loaded " + loaded + ")");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
