package dev.parley.server.chat;

import java.util.Map;
import java.util.Set;

/**
 * A request's {@code chat_template_kwargs}: extra variables for the chat template (as vLLM and llama.cpp pass them,
 * e.g. Qwen3's {@code {"enable_thinking": false}}). The variables the server itself sets cannot be replaced.
 */
public final class TemplateKwargs {
    private static final Set<String> RESERVED = Set.of("messages", "add_generation_prompt", "bos_token", "eos_token", "tools");

    private TemplateKwargs() {}

    /** The variables, or an empty map for none; a reserved name is a bad_request naming {@code field}. */
    public static Map<String, Object> check(Map<String, Object> kwargs, String field) {
        if (kwargs == null) return Map.of();
        for (String key : kwargs.keySet()) {
            if (RESERVED.contains(key)) {
                throw new ChatException(ErrorCode.BAD_REQUEST, field + " cannot set '" + key + "' (the server sets it; reserved: "
                        + String.join(", ", RESERVED.stream().sorted().toList()) + ")");
            }
        }
        return kwargs;
    }
}
