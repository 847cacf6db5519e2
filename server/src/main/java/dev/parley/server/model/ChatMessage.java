package dev.parley.server.model;

import io.micronaut.serde.annotation.Serdeable;
import java.util.Map;

/** One turn of a conversation, as both APIs carry it. */
@Serdeable
public record ChatMessage(String role, String content) {
    Map<String, Object> asTemplateData() {
        return Map.of("role", role, "content", content);
    }
}
