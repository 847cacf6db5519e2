package dev.parley.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Real llama-quantize output: the oracle's Q8_0, Q4_0 and Q4_K_M files were all quantized from the same F32
 * weights (N(0, 0.02)), so the same tensor dequantized from two files must agree to within the coarser format's
 * error, while a wrong block layout would give differences as large as the weights.
 */
class OracleModelTest {
    /** The files stay mapped for the test JVM's lifetime; they are small and read-only. */
    private static Map<String, WeightMatrix> tensors(String file) {
        GgufFile f = GgufFile.open(Shared.path("oracle/models/" + file));
        Map<String, WeightMatrix> out = new HashMap<>();
        for (TensorInfo t : f.tensors().values()) {
            if (t.shape().length != 2) continue;
            out.put(t.name(), WeightMatrix.of(t.type(), f.tensorData(t), (int) t.shape()[1], (int) t.shape()[0]));
        }
        return out;
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
    void sameWeightsAgreeAcrossFormats() {
        Map<String, WeightMatrix> q8 = tensors("llama-spm-q8_0.gguf");
        Map<String, WeightMatrix> q40 = tensors("llama-spm-q4_0.gguf");
        Map<String, WeightMatrix> qkm = tensors("llama-spm-q4_k_m.gguf");

        WeightMatrix out8 = q8.get("output.weight"), out6 = q40.get("output.weight");
        assertEquals(GgmlType.Q8_0, out8.type());
        assertEquals(GgmlType.Q6_K, out6.type());
        double q6 = relativeRmsDiff(out8, out6);
        assertTrue(q6 < 0.03, "Q8_0 vs Q6_K output.weight: relative rms diff " + q6);

        WeightMatrix emb4 = q40.get("token_embd.weight"), embK = qkm.get("token_embd.weight");
        assertEquals(GgmlType.Q4_0, emb4.type());
        assertEquals(GgmlType.Q4_K, embK.type());
        double d40 = relativeRmsDiff(q8.get("token_embd.weight"), emb4);
        double d4k = relativeRmsDiff(q8.get("token_embd.weight"), embK);
        assertTrue(d40 < 0.15, "Q8_0 vs Q4_0 token_embd: " + d40);
        assertTrue(d4k < 0.12, "Q8_0 vs Q4_K token_embd: " + d4k);

        // a layout error (wrong nibble order, scale unpacking...) would give ~1.4 for independent N(0, s) values
        System.out.printf("relative rms diff: Q6_K %.4f, Q4_0 %.4f, Q4_K %.4f%n", q6, d40, d4k);
    }

    @Test
    void quantizedAndExactDotsAgreeOnRealWeights() {
        Map<String, WeightMatrix> qkm = tensors("llama-spm-q4_k_m.gguf");
        for (String name : new String[] {"blk.1.ffn_down.weight", "blk.0.ffn_down.weight", "blk.0.attn_q.weight"}) {
            WeightMatrix m = qkm.get(name);
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
