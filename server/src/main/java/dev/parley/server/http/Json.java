package dev.parley.server.http;

import io.micronaut.serde.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;

/** JSON in and out through Micronaut Serde (compile-time introspection of the {@code @Serdeable} records). */
public final class Json {
    private static final ObjectMapper MAPPER = ObjectMapper.getDefault();

    private Json() {}

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Buffer buffer(Object value) {
        try {
            return Buffer.buffer(MAPPER.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code type}; a malformed document or a field of the wrong type is an {@link InvalidJson} with a short message. */
    public static <T> T read(byte[] json, Class<T> type) {
        try {
            T value = MAPPER.readValue(json, type);
            if (value == null) throw new InvalidJson("expected a JSON object");
            return value;
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidJson ij) throw ij;
            throw new InvalidJson("invalid JSON: " + firstLine(e.getMessage()));
        }
    }

    /** Jackson appends a source-location line that only says the source was redacted; drop it. */
    private static String firstLine(String message) {
        if (message == null) return "unreadable document";
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    public static final class InvalidJson extends RuntimeException {
        public InvalidJson(String message) {
            super(message, null, false, false);
        }
    }
}
