package dev.parley.inference.template;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a jinja2 template source into one Jinjava renders identically: applies jinja2's source-level rules
 * (line-end normalisation, dropping one trailing newline, comment whitespace control) and rewrites each
 * expression with {@link ExpressionRewriter}. Also collects the filters and tests used, so that
 * {@link ChatTemplate#compile} can refuse unknown ones as jinja2 does (Jinjava would render them as nothing).
 */
final class TemplateSourceRewriter {
    /** Stands where a comment was: a token boundary, so {@code -%}} before a comment cannot eat text after it. */
    private static final String COMMENT_PLACEHOLDER = "{{ '' }}";

    record Result(String source, Set<String> filters, Set<String> tests) {}

    private final String source;
    private final StringBuilder out = new StringBuilder();
    private final Set<String> filters = new LinkedHashSet<>();
    private final Set<String> tests = new LinkedHashSet<>();
    /** Whitespace handling owed to the next text run by a preceding comment's end marker. */
    private TrailingTrim pendingTrim = TrailingTrim.NONE;

    private enum TrailingTrim { NONE, ONE_NEWLINE, ALL_WHITESPACE }

    private TemplateSourceRewriter(String source) {
        this.source = source;
    }

    static Result rewrite(String source) {
        TemplateSourceRewriter rewriter = new TemplateSourceRewriter(normaliseLineEnds(source));
        rewriter.run();
        return new Result(rewriter.out.toString(), rewriter.filters, rewriter.tests);
    }

    /** jinja2 joins {@code source.splitlines()} with "\n", which also drops one trailing line end. */
    static String normaliseLineEnds(String source) {
        List<String> lines = PythonStrings.splitlines(source);
        return String.join("\n", lines);
    }

    private void run() {
        int pos = 0;
        int n = source.length();
        while (pos < n) {
            int open = nextDelimiter(pos);
            if (open < 0) {
                emitText(source.substring(pos), pos);
                break;
            }
            emitText(source.substring(pos, open), pos);
            char kind = source.charAt(open + 1);
            if (kind == '#') {
                pos = comment(open);
            } else if (kind == '%') {
                pos = tag(open);
            } else {
                pos = expression(open);
            }
        }
    }

    private int nextDelimiter(int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') return i;
        }
        return -1;
    }

    private void emitText(String text, int offset) {
        switch (pendingTrim) {
            case ONE_NEWLINE -> {
                if (text.startsWith("\n")) text = text.substring(1);
            }
            case ALL_WHITESPACE -> text = PythonStrings.strip(text, null, true, false);
            case NONE -> {}
        }
        pendingTrim = TrailingTrim.NONE;
        out.append(text);
    }

    private int comment(int open) {
        int close = source.indexOf("#}", open + 2);
        if (close < 0) throw new TemplateException("TemplateSyntaxError: missing end of comment tag");
        char first = source.charAt(open + 2);
        char last = source.charAt(close - 1);
        if (first == '-') {
            trimOutputEnd(true);
        } else if (first != '+') {
            lstripLine(open);
        }
        if (last == '-' && close - 1 > open + 2) pendingTrim = TrailingTrim.ALL_WHITESPACE;
        else if (last == '+' && close - 1 > open + 2) pendingTrim = TrailingTrim.NONE;
        else pendingTrim = TrailingTrim.ONE_NEWLINE; // trim_blocks applies to comments too
        out.append(COMMENT_PLACEHOLDER);
        return close + 2;
    }

    /**
     * lstrip_blocks for comments and block tags: spaces and tabs between a line start and the tag go, if nothing
     * else precedes it on that line. Done here because Jinjava's lstrip also eats whitespace between two tags
     * in mid-line ({@code {% endif %} {% endfor %}}), which jinja2 keeps.
     */
    private void lstripLine(int open) {
        int lineStart = source.lastIndexOf('\n', open - 1) + 1;
        for (int i = lineStart; i < open; i++) {
            char c = source.charAt(i);
            if (c != ' ' && c != '\t') return;
        }
        trimOutputEnd(false);
    }

    private void trimOutputEnd(boolean newlinesToo) {
        int end = out.length();
        while (end > 0) {
            char c = out.charAt(end - 1);
            boolean strip = newlinesToo ? PythonStrings.isPythonWhitespace(c) : (c == ' ' || c == '\t');
            if (!strip) break;
            end--;
        }
        out.setLength(end);
    }

    private int expression(int open) {
        int close = closing(open + 2, "}}");
        String inner = source.substring(open + 2, close);
        emitDelimited("{{", inner, "}}", true);
        return close + 2;
    }

    private int tag(int open) {
        int close = closing(open + 2, "%}");
        String inner = source.substring(open + 2, close);
        String body = stripControl(inner);
        String name = body.strip().split("[\\s(]", 2)[0];
        if (inner.charAt(0) != '-' && inner.charAt(0) != '+') lstripLine(open);
        if (name.equals("raw")) return raw(open, close);
        boolean keywordArguments = !name.equals("macro") && !name.equals("call");
        emitDelimited("{%", inner, "%}", keywordArguments);
        return close + 2;
    }

    /** {@code {% raw %}} bodies are copied untouched, through the matching {@code endraw}. */
    private int raw(int open, int close) {
        int end = close + 2;
        int search = end;
        while (true) {
            int candidate = source.indexOf("{%", search);
            if (candidate < 0) throw new TemplateException("TemplateSyntaxError: missing endraw for raw block");
            int candidateClose = source.indexOf("%}", candidate + 2);
            if (candidateClose < 0) throw new TemplateException("TemplateSyntaxError: missing endraw for raw block");
            if (stripControl(source.substring(candidate + 2, candidateClose)).strip().equals("endraw")) {
                out.append(source, open, candidateClose + 2);
                return candidateClose + 2;
            }
            search = candidate + 2;
        }
    }

    /** Rewrites the expression part of a tag or output, keeping whitespace-control markers where they were. */
    private void emitDelimited(String start, String inner, String end, boolean keywordArguments) {
        int bodyStart = 0;
        int bodyEnd = inner.length();
        if (bodyStart < bodyEnd && (inner.charAt(0) == '-' || inner.charAt(0) == '+')) bodyStart++;
        if (bodyEnd > bodyStart && (inner.charAt(bodyEnd - 1) == '-' || inner.charAt(bodyEnd - 1) == '+')) bodyEnd--;
        String body = inner.substring(bodyStart, bodyEnd);
        collectFiltersAndTests(body);
        out.append(start).append(inner, 0, bodyStart)
                .append(ExpressionRewriter.rewrite(body, keywordArguments))
                .append(inner, bodyEnd, inner.length()).append(end);
    }

    private static String stripControl(String inner) {
        String s = inner;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) s = s.substring(1);
        if (!s.isEmpty() && (s.charAt(s.length() - 1) == '-' || s.charAt(s.length() - 1) == '+')) s = s.substring(0, s.length() - 1);
        return s;
    }

    /** Index of {@code end} closing a tag that opened before {@code from}, skipping string literals. */
    private int closing(int from, String end) {
        int i = from;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == '\'' || c == '"') {
                i = ExpressionTokenizer.stringEnd(source, i);
            } else if (source.startsWith(end, i)) {
                return i;
            } else {
                i++;
            }
        }
        throw new TemplateException("TemplateSyntaxError: unexpected end of template, expected '" + end + "'");
    }

    private void collectFiltersAndTests(String body) {
        List<ExpressionToken> tokens = ExpressionTokenizer.tokenize(body);
        for (int i = 0; i + 1 < tokens.size(); i++) {
            ExpressionToken t = tokens.get(i);
            ExpressionToken next = tokens.get(i + 1);
            if (t.isOperator("|") && next.kind() == ExpressionToken.Kind.NAME) {
                filters.add(next.text());
            } else if (t.isName("is") && next.kind() == ExpressionToken.Kind.NAME) {
                ExpressionToken test = next;
                if (next.isName("not") && i + 2 < tokens.size() && tokens.get(i + 2).kind() == ExpressionToken.Kind.NAME) {
                    test = tokens.get(i + 2);
                }
                tests.add(test.text());
            }
        }
    }
}
