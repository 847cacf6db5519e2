package dev.parley.inference.train;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.GgufValue;
import dev.parley.inference.gguf.GgufValueType;
import dev.parley.inference.gguf.GgufWriter;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.model.Model;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.tensor.Quantizer;
import dev.parley.inference.tensor.WeightMatrix;
import dev.parley.inference.template.DefaultTemplates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GGUF model opened for fine-tuning: its weights as the trainer's {@link Llama} (held in F32: tensors of other types are
 * dequantized into it), its tokenizer and the chat template serving uses (the model's own, else ChatML). A vocabulary
 * without ChatML's {@code <|im_start|>} and {@code <|im_end|>} gets them as control tokens, new embedding rows
 * initialized to the mean embedding, so the tuned model ends its turn with a token the engine stops at.
 * {@link #write} exports the tuned weights with the base's metadata and tensor types.
 */
final class FineTuneBase implements AutoCloseable {
    static final List<String> CHATML_MARKERS = List.of("<|im_start|>", "<|im_end|>");

    final Model engineModel;
    final Llama llama;
    final int baseVocab;
    final Map<String, Integer> addedTokens = new LinkedHashMap<>();
    final ChatEncoder encoder;
    final String templateName;
    private final Map<String, GgmlType> tensorTypes = new LinkedHashMap<>();

    private FineTuneBase(Model engineModel, Llama llama, int baseVocab, String template, String templateName) {
        this.engineModel = engineModel;
        this.llama = llama;
        this.baseVocab = baseVocab;
        this.templateName = templateName;
        for (int i = baseVocab; i < llama.config().vocab(); i++) addedTokens.put(CHATML_MARKERS.get(i - baseVocab), i);
        this.encoder = new ChatEncoder(template, engineModel.tokenizer(), addedTokens);
    }

    static FineTuneBase load(Path gguf) {
        Model m = Model.load(gguf);
        try {
            GgufFile f = m.file();
            String arch = f.getString("general.architecture");
            if (!arch.equals("llama"))
                throw f.error("architecture " + arch + ": the trainer holds Llama models only (tune needs architecture llama)");
            int vocab = m.tokenizer().vocabSize(), dim = f.getPositiveInt("llama.embedding_length");
            int heads = f.getPositiveInt("llama.attention.head_count");
            int kvHeads = (int) f.getLong("llama.attention.head_count_kv", heads);
            float eps = f.getFloat("llama.attention.layer_norm_rms_epsilon", LlamaConfig.RMS_EPS);
            float ropeBase = f.getFloat("llama.rope.freq_base", LlamaConfig.ROPE_BASE);
            if (eps != LlamaConfig.RMS_EPS || ropeBase != LlamaConfig.ROPE_BASE)
                throw f.error("RMS eps " + eps + " and RoPE base " + ropeBase + ": the trainer's Llama fixes them at "
                        + LlamaConfig.RMS_EPS + " and " + LlamaConfig.ROPE_BASE);
            String own = m.chatTemplate();
            String template = own != null ? own : DefaultTemplates.CHATML;
            List<String> missing = new ArrayList<>();
            if (own == null) for (String marker : CHATML_MARKERS) if (tokenId(m, marker) < 0) missing.add(marker);
            LlamaConfig c = new LlamaConfig(vocab + missing.size(), dim, f.getPositiveInt("llama.block_count"), heads, kvHeads,
                    f.getPositiveInt("llama.feed_forward_length"), f.getPositiveInt("llama.context_length"));
            Llama llama = new Llama(c, 0);
            FineTuneBase base = new FineTuneBase(m, llama, vocab, template, own != null ? "model" : "chatml (default: the model has none)");
            base.readWeights(f);
            return base;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private static int tokenId(Model m, String text) {
        for (int i = 0; i < m.tokenizer().vocabSize(); i++) if (m.tokenizer().tokenText(i).equals(text)) return i;
        return -1;
    }

    private void readWeights(GgufFile f) {
        Set<String> names = new HashSet<>();
        for (Param p : llama.params) {
            names.add(p.name);
            TensorInfo t = f.tensor(p.name);
            if (t == null) throw f.error("has no tensor " + p.name + " (the trainer's Llama needs it)");
            int rows = p.name.equals("token_embd.weight") ? baseVocab : p.rows;
            long[] expected = p.isMatrix() ? new long[] {p.cols, rows} : new long[] {p.cols};
            if (!Arrays.equals(t.shape(), expected))
                throw f.error(p.name + " has shape " + t.shapeString() + ", the trainer's Llama expects " + Arrays.toString(expected));
            if (!t.type().supported) throw f.error(p.name + ": tensor type " + t.type() + " cannot be dequantized");
            tensorTypes.put(p.name, t.type());
            WeightMatrix wm = WeightMatrix.of(t.type(), f.tensorData(t), rows, p.cols);
            for (int r = 0; r < rows; r++) wm.dequantizeRow(r, p.w, r * p.cols);
        }
        for (String name : f.tensors().keySet())
            if (!names.contains(name))
                throw f.error("tensor " + name + " has no place in the trainer's Llama (tied embeddings, no extra tensors)");
        // added tokens start at the mean embedding: a neutral point the fine-tuning moves from
        Param e = llama.embedding;
        int dim = e.cols;
        for (int r = baseVocab; r < e.rows; r++)
            for (int v = 0; v < baseVocab; v++) VecMath.axpy(1f / baseVocab, e.w, v * dim, e.w, r * dim, dim);
    }

    /** Writes the model's current weights as a GGUF: the base's metadata and tensor types, added tokens and template included. */
    void write(Path out, String name) {
        GgufFile f = engineModel.file();
        GgufWriter w = new GgufWriter();
        w.putAll(f.metadata());
        w.put("general.name", GgufValue.of(name));
        if (!addedTokens.isEmpty()) {
            int n = llama.config().vocab();
            String[] tokens = Arrays.copyOf(f.getStringArray("tokenizer.ggml.tokens"), n);
            long[] types = new long[n];
            int[] baseTypes = f.has("tokenizer.ggml.token_type") ? f.getIntArray("tokenizer.ggml.token_type") : null;
            for (int i = 0; i < n; i++) types[i] = i >= baseVocab ? 3 : baseTypes != null ? baseTypes[i] : 1; // 3 = CONTROL
            addedTokens.forEach((text, id) -> tokens[id] = text);
            w.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
            w.put("tokenizer.ggml.token_type", GgufValue.ints(GgufValueType.INT32, types));
            if (f.has("tokenizer.ggml.scores"))
                w.put("tokenizer.ggml.scores", GgufValue.floats(Arrays.copyOf(f.getFloatArray("tokenizer.ggml.scores"), n)));
            if (f.has("llama.vocab_size")) w.put("llama.vocab_size", GgufValue.u32(n));
        }
        if (engineModel.chatTemplate() == null) w.put("tokenizer.chat_template", GgufValue.of(DefaultTemplates.CHATML));
        for (Param p : llama.params) {
            GgmlType base = tensorTypes.get(p.name);
            GgmlType type = Quantizer.supports(base) && p.cols % base.blockSize == 0 ? base : GgmlType.F32;
            long[] shape = p.isMatrix() ? new long[] {p.cols, p.rows} : new long[] {p.cols};
            w.addTensor(p.name, type, shape, seg -> Quantizer.quantize(type, p.w, p.w.length, seg, 0));
        }
        w.write(out);
    }

    @Override public void close() {
        engineModel.close();
    }
}
