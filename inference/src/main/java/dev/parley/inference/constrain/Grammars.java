package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The front ends in one place: each turns a request's constraint into a {@link Grammar}; {@link Grammar#compile()}
 * then gives the shareable {@link CompiledGrammar}. Every malformed or unsupported input is a {@link GrammarException}.
 */
public final class Grammars {
    private Grammars() {}

    /** llama.cpp's GBNF ({@code grammar} field). */
    public static Grammar gbnf(String text) {
        return GbnfParser.parse(text);
    }

    /** A JSON Schema ({@code response_format: json_schema}). */
    public static Grammar jsonSchema(String schemaJson) {
        return JsonSchemaCompiler.compile(schemaJson);
    }

    /** Any JSON object ({@code response_format: json_object}). */
    public static Grammar jsonObject() {
        return JsonGrammars.anyObject();
    }

    /** Strings the whole of which the regex matches (vLLM's {@code guided_regex}). */
    public static Grammar regex(String pattern) {
        return RegexParser.parse(pattern);
    }

    /** Exactly one of the given strings (vLLM's {@code guided_choice}). */
    public static Grammar choice(List<String> choices) {
        if (choices.isEmpty()) throw new GrammarException("a choice list needs at least one choice");
        List<GrammarExpr> alts = new ArrayList<>();
        for (String c : new LinkedHashSet<>(choices)) alts.add(new GrammarExpr.Literal(c));
        return new Grammar("root", Map.of("root", new GrammarExpr.Choice(alts)));
    }
}
