package dev.parley.inference.train;

import io.micronaut.json.tree.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Preference pairs: JSON Lines of {@code {"messages":[...prompt turns...],"chosen":TEXT,"rejected":TEXT}}, blank lines
 * skipped. Each answer is the assistant's reply to the prompt turns, rendered through the chat template with only the
 * reply and its end token scored. Every bad line is an IllegalArgumentException naming the file and line: malformed
 * JSON, no prompt turns, a prompt ending in an assistant turn, a missing or non-string answer, equal answers, a
 * template that cannot render it, a pair longer than the context.
 */
final class PreferenceData {
    static final String SHAPE = "{\"messages\":[...prompt turns...],\"chosen\":TEXT,\"rejected\":TEXT}";

    /** One line's two answers, encoded. */
    record Pair(ChatEncoder.Example chosen, ChatEncoder.Example rejected) {}

    private PreferenceData() {}

    static List<Pair> read(Path file, ChatEncoder encoder, int context) {
        return SftData.readLines(file, "preference pairs", line -> {
            JsonNode node = SftData.object(line);
            JsonNode messages = node.get("messages");
            if (messages == null || !messages.isArray() || messages.size() == 0)
                throw new IllegalArgumentException("no prompt turns: expected " + SHAPE);
            List<Map<String, Object>> prompt = SftData.messages(messages);
            if ("assistant".equals(prompt.getLast().get("role")))
                throw new IllegalArgumentException("the prompt ends with an assistant turn: the answers must reply to a user turn");
            String chosen = answer(node, "chosen"), rejected = answer(node, "rejected");
            if (chosen.equals(rejected)) throw new IllegalArgumentException("chosen and rejected are the same text");
            return new Pair(SftData.fitting(encoder.encodeReply(prompt, chosen), context, "chosen answer with its prompt"),
                    SftData.fitting(encoder.encodeReply(prompt, rejected), context, "rejected answer with its prompt"));
        });
    }

    private static String answer(JsonNode node, String field) {
        JsonNode text = node.get(field);
        if (text == null || !text.isString()) throw new IllegalArgumentException("\"" + field + "\" must be a string: expected " + SHAPE);
        return text.getStringValue();
    }
}
