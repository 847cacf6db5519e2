package dev.parley.server.tools;

import dev.parley.inference.constrain.Grammar;
import dev.parley.inference.constrain.GrammarExpr;
import java.util.HashMap;
import java.util.Map;

/**
 * A grammar written out as llama.cpp GBNF text, so a composed grammar (a family's call wrapper around the
 * functions' schema grammars) goes to the engine's grammar cache like any {@code grammar} field and is compiled once
 * per distinct text. Rules are renamed {@code root}, {@code r1}, {@code r2}, ...; every character that is not a
 * letter or digit is written as a {@code \U} escape, so nothing needs quoting rules.
 */
final class GbnfText {
    private final Map<String, String> names = new HashMap<>();
    private final StringBuilder out = new StringBuilder();

    private GbnfText() {}

    static String of(Grammar grammar) {
        GbnfText text = new GbnfText();
        text.names.put(grammar.root(), "root");
        for (String rule : grammar.rules().keySet()) text.names.putIfAbsent(rule, "r" + text.names.size());
        for (Map.Entry<String, GrammarExpr> rule : grammar.rules().entrySet()) {
            text.out.append(text.names.get(rule.getKey())).append(" ::= ");
            text.expr(rule.getValue());
            text.out.append('\n');
        }
        return text.out.toString();
    }

    private void expr(GrammarExpr expr) {
        switch (expr) {
            case GrammarExpr.Literal literal -> {
                out.append('"');
                literal.text().codePoints().forEach(this::character);
                out.append('"');
            }
            case GrammarExpr.CharClass chars -> {
                if (chars.ranges().length == 0) throw new IllegalArgumentException("a schema allows no value at all");
                out.append('[');
                for (int i = 0; i < chars.ranges().length; i += 2) {
                    character(chars.ranges()[i]);
                    if (chars.ranges()[i + 1] != chars.ranges()[i]) {
                        out.append('-');
                        character(chars.ranges()[i + 1]);
                    }
                }
                out.append(']');
            }
            case GrammarExpr.Sequence sequence -> {
                if (sequence.parts().isEmpty()) out.append("\"\"");
                out.append('(');
                for (int i = 0; i < sequence.parts().size(); i++) {
                    if (i > 0) out.append(' ');
                    expr(sequence.parts().get(i));
                }
                out.append(')');
            }
            case GrammarExpr.Choice choice -> {
                if (choice.alternatives().isEmpty()) throw new IllegalArgumentException("a schema allows no value at all");
                out.append('(');
                for (int i = 0; i < choice.alternatives().size(); i++) {
                    if (i > 0) out.append(" | ");
                    expr(choice.alternatives().get(i));
                }
                out.append(')');
            }
            case GrammarExpr.RuleRef ref -> out.append(names.get(ref.name()));
            case GrammarExpr.Repeat repeat -> {
                out.append('(');
                expr(repeat.body());
                out.append("){").append(repeat.min()).append(',');
                if (repeat.max() != GrammarExpr.Repeat.UNBOUNDED) out.append(repeat.max());
                out.append('}');
            }
        }
    }

    private void character(int codePoint) {
        if (codePoint < 128 && Character.isLetterOrDigit(codePoint)) out.appendCodePoint(codePoint);
        else out.append(String.format("\\U%08X", codePoint));
    }
}
