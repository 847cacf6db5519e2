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
import java.util.SplittableRandom;

/**
 * A GGUF model opened for fine-tuning: its weights as the trainer's {@link Llama}, its tokenizer and the chat template
 * serving uses (the model's own, else ChatML). A vocabulary without ChatML's {@code <|im_start|>} and {@code <|im_end|>}
 * gets them as control tokens, new embedding rows initialized to the mean embedding, so the tuned model ends its turn
 * with a token the engine stops at.
 * {@link #write} exports the tuned weights with the base's metadata and tensor types.
 *
 * <p>Two ways to hold the weights. Unfrozen (full fine-tuning) every tensor is dequantized into F32 arrays the optimizer
 * moves. {@linkplain #frozen Frozen} (LoRA, and a DPO reference) the matrices stay in the memory-mapped file in their own
 * format (F32, F16 or quantized) and the products run on the engine's kernels ({@link MatMul}); only the norm gains and
 * the embedding rows of added tokens are copied to the heap. A 110M-parameter Q8_0 model then takes ~120 MB of mapped
 * file instead of 440 MB of F32 weights plus, for full tuning, three times that again in gradient and moments.
 */
final class FineTuneBase implements AutoCloseable {
    static final List<String> CHATML_MARKERS = List.of("<|im_start|>", "<|im_end|>");

    final Model engineModel;
    final Llama llama;
    /** Whether the matrices are bound in place in their GGUF format (trainable only through adapters). */
    final boolean frozen;
    final int baseVocab;
    final Map<String, Integer> addedTokens = new LinkedHashMap<>();
    final ChatEncoder encoder;
    final String templateName;
    private final Map<String, GgmlType> tensorTypes = new LinkedHashMap<>();

    private FineTuneBase(Model engineModel, Llama llama, boolean frozen, int baseVocab, String template, String templateName) {
        this.engineModel = engineModel;
        this.llama = llama;
        this.frozen = frozen;
        this.baseVocab = baseVocab;
        this.templateName = templateName;
        for (int i = baseVocab; i < llama.config().vocab(); i++) addedTokens.put(CHATML_MARKERS.get(i - baseVocab), i);
        this.encoder = new ChatEncoder(template, engineModel.tokenizer(), addedTokens);
    }

    /** The model in F32, for full fine-tuning. */
    static FineTuneBase load(Path gguf) {
        return load(gguf, false);
    }

    /** The model, its matrices {@code frozen} in their GGUF format (for LoRA) or dequantized to F32 (for full fine-tuning). */
    static FineTuneBase load(Path gguf, boolean frozen) {
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
            Map<String, GgmlType> types = new LinkedHashMap<>();
            Llama llama = new Llama(c, (name, rows, cols, std) -> bind(f, name, rows, cols, vocab, frozen, types));
            checkNoExtraTensors(f, llama);
            initAddedRows(llama.embedding, vocab);
            FineTuneBase base = new FineTuneBase(m, llama, frozen, vocab, template,
                    own != null ? "model" : "chatml (default: the model has none)");
            base.tensorTypes.putAll(types);
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

    /**
     * The tensor {@code name} of the file as the trainer's Llama expects it ([rows × cols]; the embedding has {@code baseVocab}
     * rows in the file and {@code rows} in the model, the added tokens' rows starting at zero).
     */
    private static Param bind(GgufFile f, String name, int rows, int cols, int baseVocab, boolean frozen, Map<String, GgmlType> types) {
        TensorInfo t = f.tensor(name);
        if (t == null) throw f.error("has no tensor " + name + " (the trainer's Llama needs it)");
        boolean matrix = rows > 1;
        int fileRows = name.equals("token_embd.weight") ? baseVocab : rows;
        long[] expected = matrix ? new long[] {cols, fileRows} : new long[] {cols};
        if (!Arrays.equals(t.shape(), expected))
            throw f.error(name + " has shape " + t.shapeString() + ", the trainer's Llama expects " + Arrays.toString(expected));
        if (!t.type().supported) throw f.error(name + ": tensor type " + t.type() + " cannot be dequantized");
        types.put(name, t.type());
        WeightMatrix wm = WeightMatrix.of(t.type(), f.tensorData(t), fileRows, cols);
        if (frozen && matrix) return new Param(name, rows, cols, wm);
        Param p = new Param(name, rows, cols);
        for (int r = 0; r < fileRows; r++) wm.dequantizeRow(r, p.w, r * cols);
        return p;
    }

    private static void checkNoExtraTensors(GgufFile f, Llama llama) {
        Set<String> names = new HashSet<>();
        for (Param p : llama.params) names.add(p.name);
        for (String name : f.tensors().keySet())
            if (!names.contains(name))
                throw f.error("tensor " + name + " has no place in the trainer's Llama (tied embeddings, no extra tensors)");
    }

    /**
     * Added tokens start near the mean embedding of the base's rows, a neutral point the fine-tuning moves from: the mean
     * plus the N(0, 0.02) values the trainer's random init draws for those rows (seed 0, after the base's rows), which
     * also keeps the added tokens' rows apart. The same floats as when the whole model was first initialized at random
     * and then read from the file, so tunings made before the base could be frozen reproduce.
     */
    private static void initAddedRows(Param e, int baseVocab) {
        if (e.rows == baseVocab) return;
        int dim = e.cols, from = (baseVocab - e.frozenRows) * dim;
        SplittableRandom rnd = new SplittableRandom(0);
        for (long i = 0; i < (long) baseVocab * dim; i++) rnd.nextGaussian();
        for (int i = from; i < e.w.length; i++) e.w[i] = (float) (rnd.nextGaussian() * 0.02f);
        float[] row = new float[dim];
        for (int r = baseVocab; r < e.rows; r++)
            for (int v = 0; v < baseVocab; v++) {
                e.row(v, row, 0);
                VecMath.axpy(1f / baseVocab, row, 0, e.w, (r - e.frozenRows) * dim, dim);
            }
    }

    /**
     * Writes the model's current weights as a GGUF, adapters still attached (a frozen base keeps them) folded in: the base's
     * metadata and tensor types, added tokens and template included.
     */
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
        Lora adapters = llama.adapters();
        for (Param p : llama.params) {
            GgmlType base = tensorTypes.get(p.name);
            GgmlType type = Quantizer.supports(base) && p.cols % base.blockSize == 0 ? base : GgmlType.F32;
            long[] shape = p.isMatrix() ? new long[] {p.cols, p.rows} : new long[] {p.cols};
            // one tensor at a time in F32, adapters still attached (a frozen base) folded in
            w.addTensor(p.name, type, shape, seg -> {
                float[] values = p.dense();
                if (adapters != null) {
                    if (values == p.w) values = values.clone();
                    adapters.addDelta(p, values);
                }
                Quantizer.quantize(type, values, values.length, seg, 0);
            });
        }
        w.write(out);
    }

    @Override public void close() {
        engineModel.close();
    }
}
