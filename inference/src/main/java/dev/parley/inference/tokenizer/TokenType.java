package dev.parley.inference.tokenizer;

/** The values of {@code tokenizer.ggml.token_type}, in id order (0 = undefined ... 6 = byte). */
enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    private static final TokenType[] BY_ID = values();

    /** Unknown ids count as UNDEFINED, which llama.cpp renders as nothing. */
    static TokenType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : UNDEFINED;
    }

    /** Tokens that llama.cpp's special-token splitter looks for in the input text. */
    boolean isSpecial() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }
}
