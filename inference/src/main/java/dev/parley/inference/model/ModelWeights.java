package dev.parley.inference.model;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * All weights of a model, bound to the tensors of a mapped GGUF file and checked against the configuration: every
 * required tensor present, with the expected shape and a supported type. Fused tensors (Phi-3's attn_qkv and
 * gate+up) are split into row ranges of the same mapping, so the forward pass sees one layout for every family.
 *
 * @param ropeFreqFactors per-dimension-pair divisors of the RoPE frequency (Llama 3.1 scaling), or null
 */
public record ModelWeights(WeightMatrix tokenEmbedding, LayerWeights[] layers, float[] outputNorm, WeightMatrix output,
                           float[] ropeFreqFactors) {

    public static ModelWeights load(GgufFile f, ModelConfig c) {
        Binder b = new Binder(f);
        WeightMatrix emb = b.matrix("token_embd.weight", c.vocabSize(), c.dim());
        LayerWeights[] layers = new LayerWeights[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            WeightMatrix wq, wk, wv;
            if (f.tensor(p + "attn_qkv.weight") != null) {
                WeightMatrix qkv = b.matrix(p + "attn_qkv.weight", c.qDim() + 2 * c.kvDim(), c.dim());
                wq = b.rows(qkv, p + "attn_qkv.weight", 0, c.qDim());
                wk = b.rows(qkv, p + "attn_qkv.weight", c.qDim(), c.kvDim());
                wv = b.rows(qkv, p + "attn_qkv.weight", c.qDim() + c.kvDim(), c.kvDim());
            } else {
                wq = b.matrix(p + "attn_q.weight", c.qDim(), c.dim());
                wk = b.matrix(p + "attn_k.weight", c.kvDim(), c.dim());
                wv = b.matrix(p + "attn_v.weight", c.kvDim(), c.dim());
            }
            WeightMatrix gate, up;
            if (f.tensor(p + "ffn_gate.weight") != null) {
                gate = b.matrix(p + "ffn_gate.weight", c.ffnDim(), c.dim());
                up = b.matrix(p + "ffn_up.weight", c.ffnDim(), c.dim());
            } else { // fused gate+up (Phi-3): the first half of the rows is the gate
                WeightMatrix fused = b.matrix(p + "ffn_up.weight", 2 * c.ffnDim(), c.dim());
                gate = b.rows(fused, p + "ffn_up.weight", 0, c.ffnDim());
                up = b.rows(fused, p + "ffn_up.weight", c.ffnDim(), c.ffnDim());
            }
            layers[i] = new LayerWeights(
                    b.vector(p + "attn_norm.weight", c.dim()), wq, wk, wv,
                    b.optionalVector(p + "attn_q.bias", c.qDim()), b.optionalVector(p + "attn_k.bias", c.kvDim()),
                    b.optionalVector(p + "attn_v.bias", c.kvDim()),
                    b.optionalVector(p + "attn_q_norm.weight", c.headDim()), b.optionalVector(p + "attn_k_norm.weight", c.headDim()),
                    b.matrix(p + "attn_output.weight", c.dim(), c.qDim()),
                    b.optionalVector(p + "post_attention_norm.weight", c.dim()),
                    b.vector(p + "ffn_norm.weight", c.dim()), gate, up,
                    b.matrix(p + "ffn_down.weight", c.dim(), c.ffnDim()),
                    b.optionalVector(p + "post_ffw_norm.weight", c.dim()));
        }
        float[] outNorm = b.vector("output_norm.weight", c.dim());
        WeightMatrix output = f.tensor("output.weight") != null ? b.matrix("output.weight", c.vocabSize(), c.dim()) : emb;
        float[] freqFactors = b.optionalVector("rope_freqs.weight", c.ropeDim() / 2);
        return new ModelWeights(emb, layers, outNorm, output, freqFactors);
    }

    /** Looks tensors up by name and checks them, with errors that name the file and the tensor. */
    private record Binder(GgufFile f) {
        TensorInfo require(String name) {
            TensorInfo t = f.tensor(name);
            if (t == null) throw f.error("missing tensor " + name);
            return t;
        }

        WeightMatrix matrix(String name, int rows, int cols) {
            TensorInfo t = require(name);
            long[] expected = {cols, rows};
            if (!Arrays.equals(t.shape(), expected))
                throw f.error("tensor " + name + ": shape " + t.shapeString() + ", expected " + Arrays.toString(expected));
            if (!t.type().supported) throw f.error("tensor " + name + ": type " + t.type() + " is not supported");
            return WeightMatrix.of(t.type(), f.tensorData(t), rows, cols);
        }

        WeightMatrix rows(WeightMatrix m, String name, int first, int count) {
            TensorInfo t = require(name);
            long rowBytes = t.type().bytesFor(m.cols());
            MemorySegment data = f.tensorData(t).asSlice(first * rowBytes, count * rowBytes);
            return WeightMatrix.of(t.type(), data, count, m.cols());
        }

        float[] vector(String name, int length) {
            TensorInfo t = require(name);
            if (t.shape().length != 1 || t.shape()[0] != length)
                throw f.error("tensor " + name + ": shape " + t.shapeString() + ", expected [" + length + "]");
            if (!t.type().supported) throw f.error("tensor " + name + ": type " + t.type() + " is not supported");
            float[] out = new float[length];
            WeightMatrix.of(t.type(), f.tensorData(t), 1, length).dequantizeRow(0, out, 0);
            return out;
        }

        float[] optionalVector(String name, int length) {
            return f.tensor(name) == null ? null : vector(name, length);
        }
    }
}
