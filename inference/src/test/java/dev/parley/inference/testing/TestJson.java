package dev.parley.inference.testing;

import io.micronaut.core.type.Argument;
import io.micronaut.json.tree.JsonNode;
import io.micronaut.serde.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** JSON for tests (oracle files, CLI output) through Micronaut Serde, the project's one JSON stack. */
public final class TestJson {
    private static final ObjectMapper MAPPER = ObjectMapper.getDefault();

    private TestJson() {}

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readValue(text, JsonNode.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode read(Path file) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), JsonNode.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON object file as plain Java values (maps, lists, strings, numbers, booleans). */
    public static Map<String, Object> readMap(Path file) {
        try {
            return MAPPER.readValue(Files.readAllBytes(file), Argument.mapOf(String.class, Object.class));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code value} (a tree, a map, a list...) as compact JSON text. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).getIntValue();
        return out;
    }
}
