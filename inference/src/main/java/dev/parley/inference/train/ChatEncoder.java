package dev.parley.inference.train;

import dev.parley.inference.template.ChatTemplate;
import dev.parley.inference.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders conversations through a chat template into tokens, marking the tokens fine-tuning learns: each assistant
 * turn's text up to and including its end-of-turn token. A turn's extent is found by rendering the conversation up to
 * the turn with the generation prompt (where the reply starts) and through the turn (where it ends), so the prompt
 * part is tokenized exactly as serving tokenizes a prompt. {@code addedTokens} are control tokens the tokenizer does
 * not know yet (ChatML's markers added to a vocabulary without them): their texts map to the given ids.
 */
final class ChatEncoder {
    /** Tokens and, per token, whether it is learned (a position predicting it counts in the loss). */
    record Example(int[] tokens, boolean[] learned) {
        int learnedCount() {
            int n = 0;
            for (boolean b : learned) if (b) n++;
            return n;
        }
    }

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final String bos, eos;
    private final Map<String, Integer> addedTokens;

    ChatEncoder(String templateSource, Tokenizer tokenizer, Map<String, Integer> addedTokens) {
        this.template = ChatTemplate.compile(templateSource);
        this.tokenizer = tokenizer;
        this.addedTokens = addedTokens;
        this.bos = tokenizer.bosId() >= 0 ? tokenizer.tokenText(tokenizer.bosId()) : "";
        this.eos = tokenizer.eosId() >= 0 ? tokenizer.tokenText(tokenizer.eosId()) : "";
    }

    /** The conversation's tokens with its assistant turns learned; IllegalArgumentException when it has no assistant turn. */
    Example encode(List<Map<String, Object>> messages) {
        return encode(messages, false);
    }

    /**
     * The tokens of {@code prompt} followed by the assistant's {@code reply}, only the reply (and its end token) learned:
     * an answer to score, as preference tuning compares two answers to one prompt.
     */
    Example encodeReply(List<Map<String, Object>> prompt, String reply) {
        List<Map<String, Object>> messages = new ArrayList<>(prompt);
        messages.add(Map.of("role", "assistant", "content", reply));
        return encode(messages, true);
    }

    private Example encode(List<Map<String, Object>> messages, boolean lastTurnOnly) {
        List<Integer> tokens = new ArrayList<>();
        List<Boolean> learned = new ArrayList<>();
        String full = render(messages, false);
        int done = 0;
        boolean any = false;
        for (int i = 0; i < messages.size(); i++) {
            if (!"assistant".equals(messages.get(i).get("role"))) continue;
            any = true;
            String before = render(messages.subList(0, i), true), through = render(messages.subList(0, i + 1), false);
            if (!through.startsWith(before) || !full.startsWith(through) || before.length() < done)
                throw new IllegalArgumentException("the chat template does not render the conversation turn by turn "
                        + "(an earlier rendering is no prefix of a later one), so the assistant's tokens cannot be found");
            append(full.substring(done, before.length()), done == 0, tokens, learned, false);
            int replyStart = tokens.size();
            append(through.substring(before.length()), false, tokens, learned, !lastTurnOnly || i == messages.size() - 1);
            // the turn ends at its end-of-generation token; what the template writes after it (a newline) is not learned
            for (int j = replyStart; j < tokens.size(); j++)
                if (isTurnEnd(tokens.get(j))) {
                    for (int k = j + 1; k < tokens.size(); k++) learned.set(k, false);
                    break;
                }
            done = through.length();
        }
        if (!any) throw new IllegalArgumentException("no assistant turn to learn from");
        append(full.substring(done), done == 0, tokens, learned, false);
        return new Example(tokens.stream().mapToInt(Integer::intValue).toArray(), toArray(learned));
    }

    /** The tokens of {@code messages} followed by the assistant's generation prompt, as serving builds a prompt. */
    int[] prompt(List<Map<String, Object>> messages) {
        List<Integer> tokens = new ArrayList<>();
        append(render(messages, true), true, tokens, new ArrayList<>(), false);
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    boolean isTurnEnd(int id) {
        return tokenizer.isEndOfGeneration(id) || (addedTokens.containsKey("<|im_end|>") && addedTokens.get("<|im_end|>") == id);
    }

    private String render(List<Map<String, Object>> messages, boolean generationPrompt) {
        return template.render(messages, generationPrompt, bos, eos, null, Map.of());
    }

    /** Tokenizes {@code text} (special tokens parsed; BOS first when it starts the sequence and the template wrote none). */
    private void append(String text, boolean start, List<Integer> tokens, List<Boolean> learned, boolean learn) {
        if (start && tokenizer.addBos() && tokenizer.bosId() >= 0 && (bos.isEmpty() || !text.startsWith(bos))) {
            tokens.add(tokenizer.bosId());
            learned.add(false);
        }
        int from = 0;
        while (from < text.length()) {
            int next = text.length();
            String marker = null;
            for (String t : addedTokens.keySet()) {
                int at = text.indexOf(t, from);
                if (at >= 0 && at < next) { next = at; marker = t; }
            }
            if (next > from)
                for (int id : tokenizer.encode(text.substring(from, next), false, true)) { tokens.add(id); learned.add(learn); }
            if (marker == null) break;
            tokens.add(addedTokens.get(marker));
            learned.add(learn);
            from = next + marker.length();
        }
    }

    private static boolean[] toArray(List<Boolean> list) {
        boolean[] a = new boolean[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = list.get(i);
        return a;
    }
}
