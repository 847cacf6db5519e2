package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real llama-quantize output: the oracle's Q8_0, Q4_0 and Q4_K_M files were all quantized from the same F32
 * weights (N(0, 0.02)), so the same tensor dequantized from two files must agree to within the coarser format's
 * error, while a wrong block layout would give differences as large as the weights. A minimal GGUF header walk
 * (just enough to find tensor data) is done here; the engine's GGUF reader lives elsewhere.
 */
class OracleModelTest {
    record Tensor(GgmlType type, long rows, long cols, MemorySegment data) {}

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private static Map<String, Tensor> tensors(String file) throws IOException {
        Path p = Shared.path("oracle/models/" + file);
        MemorySegment s;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        }
        long[] pos = {24};
        long nTensors = s.get(LE_LONG, 8), nKv = s.get(LE_LONG, 16);
        long alignment = 32;
        for (long i = 0; i < nKv; i++) {
            String key = str(s, pos);
            int type = s.get(Numbers.LE_INT, pos[0]);
            pos[0] += 4;
            if (key.equals("general.alignment")) alignment = s.get(Numbers.LE_INT, pos[0]);
            skipValue(s, pos, type);
        }
        Map<String, long[]> infos = new HashMap<>();
        for (long i = 0; i < nTensors; i++) {
            String name = str(s, pos);
            int nd = s.get(Numbers.LE_INT, pos[0]);
            pos[0] += 4;
            long[] info = new long[4];
            info[1] = 1;
            for (int d = 0; d < nd; d++) {
                long v = s.get(LE_LONG, pos[0]);
                pos[0] += 8;
                if (d == 0) info[0] = v; else info[1] *= v;
            }
            info[2] = s.get(Numbers.LE_INT, pos[0]);
            info[3] = s.get(LE_LONG, pos[0] + 4);
            pos[0] += 12;
            infos.put(name, info);
        }
        long dataStart = (pos[0] + alignment - 1) / alignment * alignment;
        Map<String, Tensor> out = new HashMap<>();
        for (var e : infos.entrySet()) {
            long[] i = e.getValue();
            GgmlType t = GgmlType.fromId(i[2]);
            out.put(e.getKey(), new Tensor(t, i[1], i[0], s.asSlice(dataStart + i[3], t.bytesFor(i[0] * i[1]))));
        }
        return out;
    }

    private static String str(MemorySegment s, long[] pos) {
        long n = s.get(LE_LONG, pos[0]);
        byte[] b = s.asSlice(pos[0] + 8, n).toArray(ValueLayout.JAVA_BYTE);
        pos[0] += 8 + n;
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void skipValue(MemorySegment s, long[] pos, int type) {
        switch (type) {
            case 0, 1, 7 -> pos[0] += 1;
            case 2, 3 -> pos[0] += 2;
            case 4, 5, 6 -> pos[0] += 4;
            case 10, 11, 12 -> pos[0] += 8;
            case 8 -> str(s, pos);
            case 9 -> {
                int et = s.get(Numbers.LE_INT, pos[0]);
                long n = s.get(LE_LONG, pos[0] + 4);
                pos[0] += 12;
                for (long i = 0; i < n; i++) skipValue(s, pos, et);
            }
            default -> throw new IllegalStateException("gguf value type " + type);
        }
    }

    private static WeightMatrix matrix(Tensor t) {
        return WeightMatrix.of(t.type(), t.data(), (int) t.rows(), (int) t.cols());
    }

    /** rms of the difference between the two dequantized tensors, relative to the rms of the first. */
    private static double relativeRmsDiff(WeightMatrix a, WeightMatrix b) {
        assertEquals(a.rows(), b.rows());
        assertEquals(a.cols(), b.cols());
        float[] x = new float[a.cols()], y = new float[b.cols()];
        double diff = 0, norm = 0;
        for (int r = 0; r < a.rows(); r += 7) {
            a.dequantizeRow(r, x, 0);
            b.dequantizeRow(r, y, 0);
            for (int i = 0; i < x.length; i++) {
                diff += (x[i] - y[i]) * (double) (x[i] - y[i]);
                norm += x[i] * (double) x[i];
            }
        }
        return Math.sqrt(diff / norm);
    }

    @Test
    void sameWeightsAgreeAcrossFormats() throws IOException {
        Map<String, Tensor> q8 = tensors("llama-spm-q8_0.gguf");
        Map<String, Tensor> q40 = tensors("llama-spm-q4_0.gguf");
        Map<String, Tensor> qkm = tensors("llama-spm-q4_k_m.gguf");

        Tensor out8 = q8.get("output.weight"), out6 = q40.get("output.weight");
        assertEquals(GgmlType.Q8_0, out8.type());
        assertEquals(GgmlType.Q6_K, out6.type());
        double q6 = relativeRmsDiff(matrix(out8), matrix(out6));
        assertTrue(q6 < 0.03, "Q8_0 vs Q6_K output.weight: relative rms diff " + q6);

        Tensor emb4 = q40.get("token_embd.weight"), embK = qkm.get("token_embd.weight");
        assertEquals(GgmlType.Q4_0, emb4.type());
        assertEquals(GgmlType.Q4_K, embK.type());
        double d40 = relativeRmsDiff(matrix(q8.get("token_embd.weight")), matrix(emb4));
        double d4k = relativeRmsDiff(matrix(q8.get("token_embd.weight")), matrix(embK));
        assertTrue(d40 < 0.15, "Q8_0 vs Q4_0 token_embd: " + d40);
        assertTrue(d4k < 0.12, "Q8_0 vs Q4_K token_embd: " + d4k);

        // a layout error (wrong nibble order, scale unpacking...) would give ~1.4 for independent N(0, s) values
        System.out.printf("relative rms diff: Q6_K %.4f, Q4_0 %.4f, Q4_K %.4f%n", q6, d40, d4k);
    }

    @Test
    void quantizedAndExactDotsAgreeOnRealWeights() throws IOException {
        Map<String, Tensor> qkm = tensors("llama-spm-q4_k_m.gguf");
        for (String name : new String[] {"blk.1.ffn_down.weight", "blk.0.ffn_down.weight", "blk.0.attn_q.weight"}) {
            WeightMatrix m = matrix(qkm.get(name));
            float[] x = TestData.randomVector(m.cols(), new java.util.Random(3));
            QuantizedActivation qx = new QuantizedActivation(m.cols());
            qx.quantize(m.activationType(), x, 0, m.cols());
            for (int r = 0; r < m.rows(); r += 31) {
                double exact = Reference.dotF32(m, r, x, 0);
                assertEquals(exact, m.dot(r, x, 0), 1e-5 * Reference.absDot(m, r, x, 0), name);
                assertEquals(Reference.dotQ(m, r, qx), m.dot(r, qx), 1e-5 * Reference.absDot(m, r, x, 0), name);
                // worst case of the Q8_K rounding: half a quantum (amax/127 per 256-block) times |w|
                float[] w = new float[m.cols()];
                m.dequantizeRow(r, w, 0);
                double bound = 1e-5 * Reference.absDot(m, r, x, 0);
                for (int b = 0; b < m.cols() / 256; b++) {
                    double amax = 0, wsum = 0;
                    for (int j = 256 * b; j < 256 * b + 256; j++) {
                        amax = Math.max(amax, Math.abs(x[j]));
                        wsum += Math.abs(w[j]);
                    }
                    bound += wsum * amax / 127 * 0.51;
                }
                assertEquals(exact, m.dot(r, qx), bound, name);
            }
        }
    }
}
