package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a request asks its output to match, as it arrived: the kind of front end and its source text. It is the key
 * under which {@link GrammarCache} keeps the compiled grammar, so equal sources compile once. A choice list is kept
 * as its JSON array text, so it is a plain text key too.
 */
public record GrammarSource(Kind kind, String text) {
    public enum Kind {
        /** llama.cpp's GBNF ({@code grammar}). */
        GBNF,
        /** A JSON Schema ({@code response_format: json_schema}). */
        JSON_SCHEMA,
        /** Any JSON object ({@code response_format: json_object}); the text is empty. */
        JSON_OBJECT,
        /** A regular expression the whole output matches (vLLM's {@code guided_regex}). */
        REGEX,
        /** One of a list of strings (vLLM's {@code guided_choice}); the text is the list as a JSON array. */
        CHOICE
    }

    public GrammarSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(text, "text");
    }

    public static GrammarSource gbnf(String text) {
        return new GrammarSource(Kind.GBNF, text);
    }

    public static GrammarSource jsonSchema(String schemaJson) {
        return new GrammarSource(Kind.JSON_SCHEMA, schemaJson);
    }

    public static GrammarSource jsonObject() {
        return new GrammarSource(Kind.JSON_OBJECT, "");
    }

    public static GrammarSource regex(String pattern) {
        return new GrammarSource(Kind.REGEX, pattern);
    }

    public static GrammarSource choice(List<String> choices) {
        return new GrammarSource(Kind.CHOICE, JsonText.write(new ArrayList<Object>(choices)));
    }

    /** Parses the source with its front end; a malformed or unsupported source is a {@link GrammarException}. */
    public Grammar grammar() {
        return switch (kind) {
            case GBNF -> Grammars.gbnf(text);
            case JSON_SCHEMA -> Grammars.jsonSchema(text);
            case JSON_OBJECT -> Grammars.jsonObject();
            case REGEX -> Grammars.regex(text);
            case CHOICE -> Grammars.choice(choices());
        };
    }

    private List<String> choices() {
        Object parsed;
        try {
            parsed = JsonText.parse(text);
        } catch (RuntimeException e) {
            throw new GrammarException("a choice list must be a JSON array of strings: " + e.getMessage());
        }
        if (!(parsed instanceof List<?> list)) throw new GrammarException("a choice list must be a JSON array of strings");
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s)) throw new GrammarException("a choice list must hold only strings (got " + JsonText.write(o) + ")");
            out.add(s);
        }
        return out;
    }

    /** The kind and the start of the text, for messages and logs. */
    @Override public String toString() {
        return kind + (text.isEmpty() ? "" : " " + (text.length() > 60 ? text.substring(0, 60) + "..." : text));
    }
}
