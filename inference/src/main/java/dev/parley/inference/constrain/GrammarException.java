package dev.parley.inference.constrain;

/**
 * A grammar, regex or JSON schema that cannot be compiled: a syntax error (with line and column), a construct this
 * engine does not support (named), or a grammar that matches nothing. The server turns it into a 400.
 */
public final class GrammarException extends IllegalArgumentException {
    public GrammarException(String message) {
        super(message);
    }

    /** A syntax error at {@code offset} of {@code text}, reported as 1-based line and column (in code points). */
    static GrammarException at(String what, String text, int offset, String message) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < offset && i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (cp == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
            i += Character.charCount(cp);
        }
        return new GrammarException(what + " error at line " + line + ", column " + column + ": " + message);
    }
}
