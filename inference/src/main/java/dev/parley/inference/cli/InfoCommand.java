package dev.parley.inference.cli;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.gguf.TensorInfo;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.ModelConfig;
import dev.parley.inference.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a GGUF model: architecture, dimensions, tensor types, vocabulary, context length, chat template.")
final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model file") Path model;
    @Option(names = "--json", description = "print JSON") boolean json;

    @Override public Integer call() {
        try (Model m = Model.load(model)) {
            Map<String, Object> info = describe(m);
            if (json) {
                System.out.println(Json.write(info));
            } else {
                info.forEach((k, v) -> System.out.println(k + ": " + (v instanceof String s && s.contains("\n") ? "\n" + s : v)));
            }
        }
        return 0;
    }

    static Map<String, Object> describe(Model m) {
        ModelConfig c = m.config();
        GgufFile f = m.file();
        Tokenizer tok = m.tokenizer();
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("file", f.path().toString());
        info.put("gguf_version", f.version());
        info.put("name", c.name());
        info.put("architecture", c.arch());
        long params = 0;
        Map<String, Integer> types = new TreeMap<>();
        for (TensorInfo t : f.tensors().values()) {
            params += t.elementCount();
            types.merge(t.type().name(), 1, Integer::sum);
        }
        info.put("parameters", params);
        info.put("file_bytes", f.fileSize());
        info.put("tensor_types", types);
        info.put("embedding_length", c.dim());
        info.put("block_count", c.layers());
        info.put("head_count", c.heads());
        info.put("head_count_kv", c.kvHeads());
        info.put("head_dim", c.headDim());
        info.put("feed_forward_length", c.ffnDim());
        info.put("context_length", c.contextLength());
        info.put("rope_freq_base", c.ropeBase());
        info.put("rope_style", c.family().ropeStyle().name());
        info.put("rms_epsilon", c.rmsEps());
        info.put("tied_embeddings", m.weights().output() == m.weights().tokenEmbedding());
        Map<String, Object> vocab = new LinkedHashMap<>();
        vocab.put("model", f.getString("tokenizer.ggml.model", null));
        vocab.put("pre", f.getString("tokenizer.ggml.pre", null));
        vocab.put("size", tok.vocabSize());
        vocab.put("bos_id", tok.bosId());
        vocab.put("eos_id", tok.eosId());
        vocab.put("add_bos", tok.addBos());
        info.put("vocabulary", vocab);
        info.put("chat_template", m.chatTemplate());
        return info;
    }
}
