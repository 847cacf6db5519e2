package dev.parley.server.model;

import dev.parley.inference.tokenizer.Tokenizer;
import java.util.Locale;

/**
 * Whether replies are split into reasoning and content (llama.cpp's {@code --reasoning-format}): {@code deepseek}
 * takes {@code <think>…</think>} at the start of a reply (or closing a block the prompt opened) as the reasoning;
 * {@code none} leaves the text as it is. Without the option the model decides: {@code deepseek} when its chat template
 * mentions {@code <think>} or its vocabulary has a {@code <think>} token (DeepSeek-R1, Qwen3, QwQ), else {@code none}.
 */
public enum ReasoningFormat {
    NONE, DEEPSEEK;

    public static final String THINK_TAG = "<think>";

    /** {@code none} or {@code deepseek} (case-insensitive), as the serve option spells it. */
    public static ReasoningFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown reasoning format '" + name + "' (none, deepseek)");
        }
    }

    /** The format a model's template and vocabulary call for. */
    static ReasoningFormat detect(String templateSource, Tokenizer tokenizer) {
        if (templateSource.contains(THINK_TAG)) return DEEPSEEK;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (THINK_TAG.equals(tokenizer.tokenText(id))) return DEEPSEEK;
        }
        return NONE;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
