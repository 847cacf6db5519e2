package dev.parley.inference.cli;

import dev.parley.inference.model.MatmulMode;
import dev.parley.inference.model.Model;
import dev.parley.inference.model.SingleSequenceKvCache;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Run token ids through the model and print the logits over the vocabulary at the last position.")
final class LogitsCommand implements Callable<Integer> {
    @Mixin ModelOption model;
    @Option(names = "--tokens", required = true, split = ",", paramLabel = "IDS",
            description = "comma-separated token ids (add BOS yourself if the model wants it)") int[] tokens;
    @Option(names = "--json", description = "print {\"logits\": [...]} (default: one value per line)") boolean json;
    @Option(names = "--matmul", paramLabel = "MODE", defaultValue = "GGML",
            description = "GGML: activations quantized like llama.cpp (default); F32: exact F32 math on dequantized "
                    + "weights") MatmulMode mode;

    @Override public Integer call() {
        try (Model m = Model.load(model.resolve())) {
            if (tokens.length > m.config().contextLength())
                throw new IllegalArgumentException(tokens.length + " tokens exceed the context length " + m.config().contextLength());
            float[] logits;
            try (SingleSequenceKvCache kv = m.newSingleSequenceKvCache(tokens.length)) {
                logits = m.transformer(mode).forward(tokens, 0, kv, false)[0];
            }
            if (json) {
                System.out.println(Json.write(Map.of("logits", logits)));
            } else {
                StringBuilder sb = new StringBuilder();
                for (float v : logits) sb.append(v).append('\n');
                System.out.print(sb);
            }
        }
        return 0;
    }
}
