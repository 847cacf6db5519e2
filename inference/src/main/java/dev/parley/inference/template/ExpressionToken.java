package dev.parley.inference.template;

/** One lexical token of a Jinja expression, with its offsets in the text it came from. */
record ExpressionToken(Kind kind, String text, int start, int end) {
    enum Kind { NAME, NUMBER, STRING, OPERATOR }

    boolean isName(String name) {
        return kind == Kind.NAME && text.equals(name);
    }

    boolean isOperator(String op) {
        return kind == Kind.OPERATOR && text.equals(op);
    }

    boolean opensBracket() {
        return kind == Kind.OPERATOR && (text.equals("(") || text.equals("[") || text.equals("{"));
    }

    boolean closesBracket() {
        return kind == Kind.OPERATOR && (text.equals(")") || text.equals("]") || text.equals("}"));
    }
}
