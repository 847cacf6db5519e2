package dev.parley.inference.template;

import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * Rewrites one Jinja expression so that Jinjava parses it the way jinja2 does. Each rewrite closes a gap
 * measured against the oracle; all are purely syntactic and keep the meaning jinja2 gives the expression.
 */
final class ExpressionRewriter {
    /** Keywords after which a {@code not} starts a new operand rather than negating a test ({@code is not}). */
    private static final Set<String> OPERAND_STARTING_KEYWORDS = Set.of("and", "or", "not", "if", "else", "in", "return");
    /** Top-level tokens that end the operand of a unary {@code not}: everything looser than {@code not} in jinja2. */
    private static final Set<String> NOT_OPERAND_ENDING_KEYWORDS = Set.of("and", "or", "if", "else", "recursive");

    private final List<ExpressionToken> tokens;
    private final String text;
    /** Text inserted before an offset; entries at one offset are concatenated in insertion order. */
    private final TreeMap<Integer, StringBuilder> insertions = new TreeMap<>();
    /** Replaced spans: start offset to (end offset, replacement). */
    private final TreeMap<Integer, Replacement> replacements = new TreeMap<>();

    private record Replacement(int end, String text) {}

    private ExpressionRewriter(String text) {
        this.text = text;
        this.tokens = ExpressionTokenizer.tokenize(text);
    }

    /** keywordArguments: false inside macro definitions, whose defaults are declarations, not calls. */
    static String rewrite(String expression, boolean keywordArguments) {
        ExpressionRewriter rewriter = new ExpressionRewriter(expression);
        rewriter.normaliseStringLiterals();
        rewriter.reverseSlices();
        rewriter.groupUnaryNotOperands();
        if (keywordArguments) rewriter.groupKeywordArgumentValues();
        return rewriter.apply();
    }

    private void normaliseStringLiterals() {
        for (ExpressionToken t : tokens) {
            if (t.kind() != ExpressionToken.Kind.STRING) continue;
            String normalised = StringLiterals.normalise(t.text());
            if (!normalised.equals(t.text())) replacements.put(t.start(), new Replacement(t.end(), normalised));
        }
    }

    /** Jinjava's slices have no step; {@code x[::-1]} becomes a method the Python resolver answers. */
    private void reverseSlices() {
        String[] pattern = {"[", ":", ":", "-", "1", "]"};
        for (int i = 0; i + pattern.length <= tokens.size(); i++) {
            boolean match = true;
            for (int k = 0; k < pattern.length && match; k++) match = tokens.get(i + k).text().equals(pattern[k]);
            if (match) {
                replacements.put(tokens.get(i).start(), new Replacement(tokens.get(i + pattern.length - 1).end(),
                        "." + PythonMethodResolver.REVERSED_METHOD + "()"));
                i += pattern.length - 1;
            }
        }
    }

    /**
     * jinja2's unary {@code not} binds looser than comparisons, {@code in}, {@code is} and filters; Jinjava's binds
     * tighter, so {@code not a in b} would mean {@code (not a) in b}. Parenthesising the operand fixes the grouping.
     */
    private void groupUnaryNotOperands() {
        for (int i = 0; i + 1 < tokens.size(); i++) {
            if (!tokens.get(i).isName("not") || !isUnaryPosition(i)) continue;
            int end = operandEnd(i + 1);
            if (end == i + 1) continue;
            insert(tokens.get(i + 1).start(), "(");
            insert(end < tokens.size() ? tokens.get(end).start() : text.length(), ")");
        }
    }

    private boolean isUnaryPosition(int i) {
        if (i == 0) return true;
        ExpressionToken previous = tokens.get(i - 1);
        return switch (previous.kind()) {
            case NAME -> OPERAND_STARTING_KEYWORDS.contains(previous.text());
            case OPERATOR -> !previous.closesBracket();
            default -> false;
        };
    }

    private int operandEnd(int from) {
        int depth = 0;
        for (int j = from; j < tokens.size(); j++) {
            ExpressionToken t = tokens.get(j);
            if (t.opensBracket()) {
                depth++;
            } else if (t.closesBracket()) {
                if (depth == 0) return j;
                depth--;
            } else if (depth == 0 && (t.isOperator(",") || t.isOperator(":")
                    || (t.kind() == ExpressionToken.Kind.NAME && NOT_OPERAND_ENDING_KEYWORDS.contains(t.text())))) {
                return j;
            }
        }
        return tokens.size();
    }

    /**
     * Jinjava parses {@code f(i=a|length - 1)} as {@code (i=a|length) - 1}; jinja2 gives the whole expression to
     * {@code i}. Parenthesising multi-token values keeps them together (this broke Qwen-style namespace counters).
     */
    private void groupKeywordArgumentValues() {
        for (int i = 1; i + 2 < tokens.size(); i++) {
            ExpressionToken name = tokens.get(i);
            ExpressionToken previous = tokens.get(i - 1);
            if (name.kind() != ExpressionToken.Kind.NAME || !tokens.get(i + 1).isOperator("=")) continue;
            if (!previous.isOperator("(") && !previous.isOperator(",")) continue;
            if (!insideParentheses(i)) continue;
            int end = argumentEnd(i + 2);
            if (end - (i + 2) < 2) continue;
            insert(tokens.get(i + 2).start(), "(");
            insert(end < tokens.size() ? tokens.get(end).start() : text.length(), ")");
        }
    }

    private boolean insideParentheses(int index) {
        int depth = 0;
        for (int j = index - 1; j >= 0; j--) {
            ExpressionToken t = tokens.get(j);
            if (t.closesBracket()) depth++;
            else if (t.opensBracket()) {
                if (depth == 0) return t.isOperator("(");
                depth--;
            }
        }
        return false;
    }

    private int argumentEnd(int from) {
        int depth = 0;
        for (int j = from; j < tokens.size(); j++) {
            ExpressionToken t = tokens.get(j);
            if (t.opensBracket()) depth++;
            else if (t.closesBracket()) {
                if (depth == 0) return j;
                depth--;
            } else if (depth == 0 && t.isOperator(",")) {
                return j;
            }
        }
        return tokens.size();
    }

    private void insert(int offset, String s) {
        insertions.computeIfAbsent(offset, k -> new StringBuilder()).append(s);
    }

    private String apply() {
        if (insertions.isEmpty() && replacements.isEmpty()) return text;
        StringBuilder out = new StringBuilder(text.length() + 16);
        int i = 0;
        while (i <= text.length()) {
            StringBuilder inserted = insertions.get(i);
            if (inserted != null) out.append(inserted);
            if (i == text.length()) break;
            Replacement replacement = replacements.get(i);
            if (replacement != null) {
                out.append(replacement.text());
                // Insertions strictly inside a replaced span cannot occur: they sit at token starts.
                i = replacement.end();
                continue;
            }
            out.append(text.charAt(i));
            i++;
        }
        return out.toString();
    }
}
