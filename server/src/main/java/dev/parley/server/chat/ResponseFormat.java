package dev.parley.server.chat;

import dev.parley.inference.constrain.GrammarException;
import dev.parley.inference.constrain.GrammarSource;
import dev.parley.inference.constrain.JsonText;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The request fields that constrain a reply, the same for the OpenAI API (at the body's top level) and the WebSocket
 * (under {@code params}), mapped to a {@link GrammarSource}: OpenAI's {@code response_format} ({@code text},
 * {@code json_object}, {@code json_schema}), llama.cpp's {@code grammar} (GBNF) and vLLM's {@code guided_regex} and
 * {@code guided_choice}. At most one may be given; anything malformed is a {@code bad_request} naming the field.
 *
 * <p>The fields are read from the request's JSON text with the constraint engine's own strict reader, not from the
 * API's records: a schema must reach the compiler exactly as sent (property order, {@code null}s, empty arrays),
 * which a round trip through the API's serializer does not promise. Callers run this off the event loop.
 */
public final class ResponseFormat {
    static final List<String> FIELDS = List.of("response_format", "grammar", "guided_regex", "guided_choice");

    private ResponseFormat() {}

    /** Whether {@code json} can name a constraint at all: a cheap check that spares parsing every request twice. */
    public static boolean mentioned(String json) {
        return json.contains("response_format") || json.contains("grammar") || json.contains("guided_");
    }

    /**
     * The constraint the request asks for, or null. {@code container} is the member holding the fields (the
     * WebSocket's {@code "params"}), or null when they are at the top level (the OpenAI API).
     */
    public static GrammarSource requested(String json, String container) {
        if (!mentioned(json)) return null;
        Object root;
        try {
            root = JsonText.parse(json);
        } catch (GrammarException e) {
            throw bad("invalid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> top)) return null;
        Object fields = container == null ? top : top.get(container);
        if (!(fields instanceof Map<?, ?> map)) return null;
        return of(map, container == null ? "" : container + ".");
    }

    /** The constraint named by {@code fields} (JSON values as {@link JsonText} reads them), or null. */
    static GrammarSource of(Map<?, ?> fields, String prefix) {
        List<String> given = new ArrayList<>();
        for (String f : FIELDS) if (present(fields.get(f))) given.add(prefix + f);
        if (given.size() > 1) throw bad("only one of " + String.join(", ", given) + " may be given");
        if (present(fields.get("response_format"))) return responseFormat(fields.get("response_format"), prefix + "response_format");
        if (present(fields.get("grammar"))) return GrammarSource.gbnf(text(fields.get("grammar"), prefix + "grammar", "GBNF text"));
        if (present(fields.get("guided_regex")))
            return GrammarSource.regex(text(fields.get("guided_regex"), prefix + "guided_regex", "regular expression"));
        if (present(fields.get("guided_choice"))) return GrammarSource.choice(choices(fields.get("guided_choice"), prefix + "guided_choice"));
        return null;
    }

    private static GrammarSource responseFormat(Object value, String field) {
        if (!(value instanceof Map<?, ?> format)) throw bad(field + " must be an object such as {\"type\": \"json_object\"}");
        Object type = format.get("type");
        if (!(type instanceof String t)) throw bad(field + ".type is required: text, json_object or json_schema");
        return switch (t) {
            case "text" -> null;
            case "json_object" -> GrammarSource.jsonObject();
            case "json_schema" -> jsonSchema(format.get("json_schema"), field + ".json_schema");
            default -> throw bad(field + ".type must be text, json_object or json_schema (got '" + t + "')");
        };
    }

    /** OpenAI's {@code {"name", "schema", "strict", "description"}}; the output always follows the schema, strict or not. */
    private static GrammarSource jsonSchema(Object value, String field) {
        if (!(value instanceof Map<?, ?> spec)) throw bad(field + " must be an object with 'name' and 'schema'");
        Object name = spec.get("name");
        if (name != null && !(name instanceof String)) throw bad(field + ".name must be a string");
        Object strict = spec.get("strict");
        if (strict != null && strict != JsonText.NULL && !(strict instanceof Boolean)) throw bad(field + ".strict must be a boolean");
        Object schema = spec.get("schema");
        if (!(schema instanceof Map<?, ?>)) throw bad(field + ".schema must be a JSON Schema object");
        return GrammarSource.jsonSchema(JsonText.write(schema));
    }

    private static String text(Object value, String field, String what) {
        if (!(value instanceof String s) || s.isEmpty()) throw bad(field + " must be a non-empty string (" + what + ")");
        return s;
    }

    private static List<String> choices(Object value, String field) {
        if (!(value instanceof List<?> list) || list.isEmpty()) throw bad(field + " must be a non-empty array of strings");
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) throw bad(field + " must hold only strings");
            out.add(s);
        }
        return out;
    }

    private static boolean present(Object value) {
        return value != null && value != JsonText.NULL;
    }

    private static ChatException bad(String message) {
        return new ChatException(ErrorCode.BAD_REQUEST, message);
    }
}
