package dev.parley.server.openai;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.micronaut.serde.annotation.Serdeable;

/** OpenAI's embeddings request and response bodies, field for field. */
final class EmbeddingFormat {
    private EmbeddingFormat() {}

    /**
     * {@code input}: a string, an array of strings, an array of token ids or an array of such arrays.
     * {@code encoding_format}: {@code float} (default) or {@code base64} (little-endian float32 bytes).
     */
    @Serdeable
    record Request(Object input, String model, @JsonProperty("encoding_format") String encodingFormat, Integer dimensions,
                   String user) {}

    /** {@code embedding} is a float array, or its base64 string. */
    @Serdeable
    record Embedding(String object, int index, Object embedding) {}

    @Serdeable
    record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {}

    @Serdeable
    record EmbeddingList(String object, java.util.List<Embedding> data, String model, Usage usage) {}
}
