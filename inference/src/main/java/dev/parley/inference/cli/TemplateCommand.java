package dev.parley.inference.cli;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.template.TemplateException;
import io.micronaut.json.tree.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "template", mixinStandardHelpOptions = true,
        description = "Render a chat template (a .jinja file, or a GGUF model's own) the way Hugging Face transformers does. Exits "
                + "1 with the template's message when it refuses the conversation.")
final class TemplateCommand implements Callable<Integer> {
    @Option(names = "--template", required = true, paramLabel = "FILE.jinja|MODEL.gguf") Path template;

    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    static final class Input {
        @ArgGroup(exclusive = false) Single single;
        @Option(names = "--batch", paramLabel = "FILE.jsonl",
                description = "lines {\"messages\":[...],\"add_generation_prompt\":bool,\"bos_token\":\"...\",\"eos_token\":\"...\","
                        + "\"now\":\"ISO-8601\"?}; prints {\"text\":...} or {\"error\":...} per line")
        Path batch;
    }

    static final class Single {
        @Option(names = "--messages", required = true, paramLabel = "FILE.json",
                description = "a JSON array of {\"role\",\"content\"} (or an object with \"messages\")") Path messages;
        @Option(names = "--bos", paramLabel = "S", description = "bos_token (default: the model's, or empty)") String bos;
        @Option(names = "--eos", paramLabel = "S", description = "eos_token (default: the model's, or empty)") String eos;
        @Option(names = "--add-generation-prompt", description = "end with the assistant turn's opening") boolean addGenerationPrompt;
        @Option(names = "--now", paramLabel = "ISO-8601", description = "the clock behind strftime_now (default: now)") String now;
    }

    @Override public Integer call() throws IOException {
        TemplateSource src = TemplateSource.load(template);
        ChatTemplate tpl = ChatTemplate.compile(src.source);
        if (input.batch == null) {
            Single s = input.single;
            JsonNode doc = Json.parse(Files.readString(s.messages), s.messages.toString());
            List<Map<String, Object>> messages = Json.messages(doc.isArray() ? doc : Json.member(doc, "messages"));
            try {
                System.out.print(tpl.render(messages, s.addGenerationPrompt, or(s.bos, src.bos), or(s.eos, src.eos), instant(s.now),
                        Map.of()));
                System.out.flush();
                return 0;
            } catch (TemplateException e) {
                System.err.println(e.getMessage());
                return 1;
            }
        }
        List<String> lines = Files.readAllLines(input.batch);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = input.batch + " line " + (i + 1);
            JsonNode node = Json.parse(lines.get(i), where);
            try {
                List<Map<String, Object>> messages = Json.messages(Json.member(node, "messages"));
                JsonNode addPrompt = Json.member(node, "add_generation_prompt");
                String text = tpl.render(messages, addPrompt != null && addPrompt.isBoolean() && addPrompt.getBooleanValue(),
                        Json.string(node, "bos_token", src.bos), Json.string(node, "eos_token", src.eos),
                        instant(Json.string(node, "now", null)), Map.of());
                System.out.println(Json.write(Map.of("text", text)));
            } catch (TemplateException | IllegalArgumentException e) {
                System.out.println(Json.write(Map.of("error", e.getMessage())));
            }
        }
        return 0;
    }

    private static String or(String a, String b) {
        return a != null ? a : b;
    }

    private static Instant instant(String iso) {
        if (iso == null) return null;
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("invalid 'now' instant '" + iso + "' (expected ISO-8601, e.g. 2026-01-02T03:04:05Z)");
        }
    }

    /** A template's source and default BOS/EOS texts: from a .jinja file (none), or from a GGUF's metadata. */
    private record TemplateSource(String source, String bos, String eos) {
        static TemplateSource load(Path p) throws IOException {
            if (!looksLikeGguf(p)) return new TemplateSource(Files.readString(p), "", "");
            try (GgufFile f = GgufFile.open(p)) {
                String src = f.getString("tokenizer.chat_template", null);
                if (src == null) throw f.error("has no tokenizer.chat_template");
                String[] tokens = f.has("tokenizer.ggml.tokens") ? f.getStringArray("tokenizer.ggml.tokens") : new String[0];
                return new TemplateSource(src, tokenText(tokens, f.getLong("tokenizer.ggml.bos_token_id", -1)),
                        tokenText(tokens, f.getLong("tokenizer.ggml.eos_token_id", -1)));
            }
        }

        private static String tokenText(String[] tokens, long id) {
            return id >= 0 && id < tokens.length ? tokens[(int) id] : "";
        }

        private static boolean looksLikeGguf(Path p) throws IOException {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
            try (var in = Files.newInputStream(p)) {
                byte[] magic = in.readNBytes(4);
                return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
            }
        }
    }
}
