package dev.parley.inference.cli;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Turn text into token ids with a model's tokenizer (a vocab-only GGUF is enough).")
final class TokenizeCommand implements Callable<Integer> {
    @Mixin ModelOption model;

    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "text to tokenize") String text;
        @Option(names = "--batch", paramLabel = "FILE.jsonl",
                description = "one {\"text\": ...} per line; prints one {\"ids\": [...]} per line") Path batch;
    }

    @Option(names = "--no-bos", description = "do not add BOS/EOS even where the vocabulary asks for it") boolean noBos;
    @Option(names = "--no-parse-special", description = "treat control-token text as plain text") boolean noParseSpecial;
    @Option(names = "--json", description = "print {\"ids\": [...]} (the default output is the ids separated by spaces)") boolean json;

    @Override public Integer call() throws IOException {
        try (GgufFile f = GgufFile.open(model.resolve())) {
            Tokenizer tok = Tokenizer.fromGguf(f);
            if (input.text != null) {
                print(tok.encode(input.text, !noBos, !noParseSpecial));
                return 0;
            }
            List<String> lines = Files.readAllLines(input.batch);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String where = input.batch + " line " + (i + 1);
                String text = Json.string(Json.parse(lines.get(i), where), "text", null);
                if (text == null) throw new CliErrors.UsageException(where + ": expected {\"text\": \"...\"}");
                System.out.println(Json.write(Map.of("ids", tok.encode(text, !noBos, !noParseSpecial))));
            }
            return 0;
        }
    }

    private void print(int[] ids) {
        if (json) {
            System.out.println(Json.write(Map.of("ids", ids)));
        } else {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) sb.append(sb.isEmpty() ? "" : " ").append(id);
            System.out.println(sb);
        }
    }
}
