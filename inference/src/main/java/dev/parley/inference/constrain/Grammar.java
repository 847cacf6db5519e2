package dev.parley.inference.constrain;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A context-free grammar over Unicode text: named rules of {@link GrammarExpr}, starting at {@code root}. Immutable.
 * {@link #compile()} checks it (undefined rules, left recursion, an empty language) and lowers it to bytes.
 */
public record Grammar(String root, Map<String, GrammarExpr> rules) {
    public Grammar {
        rules = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rules));
        if (!rules.containsKey(root)) throw new GrammarException("grammar does not define its root rule '" + root + "'");
    }

    public CompiledGrammar compile() {
        return GrammarCompiler.compile(this);
    }
}
