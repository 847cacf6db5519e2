package dev.parley.inference.gguf;

import static org.junit.jupiter.api.Assertions.*;

import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.testing.Shared;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir Path tmp;

    @Test
    void readsRealModelHeader() {
        try (GgufFile f = GgufFile.open(Shared.path("models/stories260K/stories260K.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(48, f.tensors().size());
            assertEquals(19, f.metadata().size());
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals(64, f.getLong("llama.embedding_length"));
            assertEquals(512, f.getStringArray("tokenizer.ggml.tokens").length);
            TensorInfo emb = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {64, 512}, emb.shape());
            assertEquals(GgmlType.F32, emb.type());
            assertEquals(64L * 512 * 4, emb.byteSize());
            assertEquals(0, (emb.offset() - f.dataOffset()) % f.alignment());
        }
    }

    @Test
    void readsQuantizedOracleModel() {
        try (GgufFile f = GgufFile.open(Shared.path("oracle/models/llama-spm-q4_k_m.gguf"))) {
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            assertEquals(32000, f.getStringArray("tokenizer.ggml.tokens").length);
        }
    }

    @Test
    void writerRoundTripsEveryValueTypeAndTensorData() {
        Path p = tmp.resolve("t.gguf");
        GgufArray nested = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                new GgufArray(GgufValueType.INT32, new long[] {1, -2}), new GgufArray(GgufValueType.STRING, new String[] {"x"})});
        new GgufWriter()
                .put("general.architecture", GgufValue.of("llama"))
                .put("u8", new GgufValue(GgufValueType.UINT8, 255L))
                .put("i8", new GgufValue(GgufValueType.INT8, -5L))
                .put("u16", new GgufValue(GgufValueType.UINT16, 65535L))
                .put("i16", new GgufValue(GgufValueType.INT16, -300L))
                .put("u32", GgufValue.u32(4_000_000_000L))
                .put("i32", GgufValue.i32(-7))
                .put("u64", GgufValue.u64(1L << 40))
                .put("i64", new GgufValue(GgufValueType.INT64, -(1L << 40)))
                .put("f32", GgufValue.f32(1.5f))
                .put("f64", new GgufValue(GgufValueType.FLOAT64, 2.25))
                .put("b", GgufValue.bool(true))
                .put("s", GgufValue.of("héllo"))
                .put("nested", new GgufValue(GgufValueType.ARRAY, nested))
                .addF32("a", new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})
                .addF32("b", new long[] {3}, new float[] {9, 10, 11})
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(255L, f.getLong("u8"));
            assertEquals(-5L, f.getLong("i8"));
            assertEquals(65535L, f.getLong("u16"));
            assertEquals(-300L, f.getLong("i16"));
            assertEquals(4_000_000_000L, f.getLong("u32"));
            assertEquals(-7L, f.getLong("i32"));
            assertEquals(1L << 40, f.getLong("u64"));
            assertEquals(-(1L << 40), f.getLong("i64"));
            assertEquals(1.5f, f.getFloat("f32"));
            assertEquals(2.25f, f.getFloat("f64"));
            assertTrue(f.getBool("b", false));
            assertEquals("héllo", f.getString("s"));
            GgufArray[] inner = (GgufArray[]) f.getArray("nested").values();
            assertArrayEquals(new long[] {1, -2}, (long[]) inner[0].values());
            assertArrayEquals(new String[] {"x"}, (String[]) inner[1].values());
            TensorInfo b = f.tensor("b");
            assertEquals(11f, f.tensorData(b).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
            assertEquals(0, (b.offset() - f.dataOffset()) % 32);
        }
    }

    @Test
    void missingFileIsAClearError() {
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(tmp.resolve("nope.gguf")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }
}
