package dev.parley.inference.constrain;

import static dev.parley.inference.constrain.GrammarExpr.choice;
import static dev.parley.inference.constrain.GrammarExpr.literal;
import static dev.parley.inference.constrain.GrammarExpr.optional;
import static dev.parley.inference.constrain.GrammarExpr.ref;
import static dev.parley.inference.constrain.GrammarExpr.seq;
import static dev.parley.inference.constrain.GrammarExpr.star;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON building blocks every JSON grammar shares (RFC 8259), and the any-JSON grammars of OpenAI's
 * {@code json_object} mode. Whitespace between tokens is bounded as in llama.cpp's JSON grammars (nothing, one
 * space, or a newline and up to 20 spaces/tabs), so a model cannot pad forever; the output may start with
 * whitespace (SentencePiece models write a leading space) and ends right after the value.
 */
public final class JsonGrammars {
    static final String WS = "ws";
    static final String VALUE = "json-value";
    static final String OBJECT = "json-object";
    static final String ARRAY = "json-array";
    static final String STRING = "json-string";
    static final String CHAR = "json-char";
    static final String COUNTED_CHAR = "json-counted-char";
    static final String NUMBER = "json-number";
    static final String INTEGER = "json-integer";
    static final String BOOLEAN = "json-boolean";
    static final String NULL = "json-null";

    private static final GrammarExpr HEX = GrammarExpr.CharClass.of(new int[] {'0', '9', 'a', 'f', 'A', 'F'}, false);
    private static final GrammarExpr DIGIT = GrammarExpr.CharClass.of(new int[] {'0', '9'}, false);
    private static final GrammarExpr.CharClass UNESCAPED =
            GrammarExpr.CharClass.of(new int[] {'"', '"', '\\', '\\', 0, 0x1F}, true);

    private JsonGrammars() {}

    /** Any JSON object (OpenAI's {@code json_object}). */
    public static Grammar anyObject() {
        Map<String, GrammarExpr> rules = new LinkedHashMap<>();
        rules.put("root", seq(ref(WS), ref(OBJECT)));
        addValueRules(rules);
        return new Grammar("root", rules);
    }

    /** Any JSON value. */
    public static Grammar anyValue() {
        Map<String, GrammarExpr> rules = new LinkedHashMap<>();
        rules.put("root", seq(ref(WS), ref(VALUE)));
        addValueRules(rules);
        return new Grammar("root", rules);
    }

    /** Adds the rules of any JSON value (and the scalar rules they use) if missing. */
    static void addValueRules(Map<String, GrammarExpr> rules) {
        addScalarRules(rules);
        rules.putIfAbsent(VALUE, choice(ref(OBJECT), ref(ARRAY), ref(STRING), ref(NUMBER), ref(BOOLEAN), ref(NULL)));
        GrammarExpr member = seq(ref(STRING), ref(WS), literal(":"), ref(WS), ref(VALUE), ref(WS));
        rules.putIfAbsent(OBJECT, seq(literal("{"), ref(WS), optional(seq(member, star(seq(literal(","), ref(WS), member)))),
                literal("}")));
        GrammarExpr element = seq(ref(VALUE), ref(WS));
        rules.putIfAbsent(ARRAY, seq(literal("["), ref(WS), optional(seq(element, star(seq(literal(","), ref(WS), element)))),
                literal("]")));
    }

    static void addScalarRules(Map<String, GrammarExpr> rules) {
        rules.putIfAbsent(WS, choice(literal(""), literal(" "),
                seq(literal("\n"), new GrammarExpr.Repeat(GrammarExpr.CharClass.of(new int[] {' ', ' ', '\t', '\t'}, false), 0, 20))));
        GrammarExpr escape = seq(literal("\\"), choice(GrammarExpr.CharClass.of(new int[] {'"', '"', '\\', '\\', '/', '/',
                'b', 'b', 'f', 'f', 'n', 'n', 'r', 'r', 't', 't'}, false), seq(literal("u"), HEX, HEX, HEX, HEX)));
        rules.putIfAbsent(CHAR, choice(UNESCAPED, escape));
        rules.putIfAbsent(STRING, seq(literal("\""), star(ref(CHAR)), literal("\"")));
        GrammarExpr integer = seq(optional(literal("-")), choice(literal("0"), seq(GrammarExpr.CharClass.of(new int[] {'1', '9'},
                false), star(DIGIT))));
        rules.putIfAbsent(INTEGER, integer);
        rules.putIfAbsent(NUMBER, seq(ref(INTEGER), optional(seq(literal("."), GrammarExpr.plus(DIGIT))),
                optional(seq(GrammarExpr.CharClass.of(new int[] {'e', 'e', 'E', 'E'}, false),
                        optional(GrammarExpr.CharClass.of(new int[] {'+', '+', '-', '-'}, false)), GrammarExpr.plus(DIGIT)))));
        rules.putIfAbsent(BOOLEAN, choice(literal("true"), literal("false")));
        rules.putIfAbsent(NULL, literal("null"));
    }

    /**
     * One string character counted as one code point, for minLength/maxLength: a u escape of a surrogate
     * would be half a character, so those escapes are left out (the character can still be written raw).
     */
    static void addCountedCharRule(Map<String, GrammarExpr> rules) {
        GrammarExpr nonSurrogateHex = choice(
                seq(GrammarExpr.CharClass.of(new int[] {'0', '9', 'a', 'c', 'A', 'C', 'e', 'f', 'E', 'F'}, false), HEX, HEX, HEX),
                seq(GrammarExpr.CharClass.of(new int[] {'d', 'd', 'D', 'D'}, false), GrammarExpr.CharClass.of(new int[] {'0', '7'},
                        false), HEX, HEX));
        GrammarExpr escape = seq(literal("\\"), choice(GrammarExpr.CharClass.of(new int[] {'"', '"', '\\', '\\', '/', '/',
                'b', 'b', 'f', 'f', 'n', 'n', 'r', 'r', 't', 't'}, false), seq(literal("u"), nonSurrogateHex)));
        rules.putIfAbsent(COUNTED_CHAR, choice(UNESCAPED, escape));
    }

    /**
     * The JSON string content of text whose characters the (code point) expression allows: characters that JSON
     * must escape are written as their escape (the shortest form: {@code \"}, {@code \\}, {@code \n}, ...,
     * the 4-digit u escape for other control characters).
     */
    static GrammarExpr escapedForString(GrammarExpr expr) {
        return switch (expr) {
            case GrammarExpr.Literal lit -> {
                StringBuilder out = new StringBuilder();
                lit.text().codePoints().forEach(cp -> {
                    String e = JsonText.escape(cp);
                    if (e != null) out.append(e);
                    else out.appendCodePoint(cp);
                });
                yield literal(out.toString());
            }
            case GrammarExpr.CharClass cc -> {
                GrammarExpr.CharClass plain = cc.minus(GrammarExpr.CharClass.ANY.minus(UNESCAPED));
                java.util.List<GrammarExpr> alts = new java.util.ArrayList<>();
                if (plain.ranges().length > 0) alts.add(plain);
                for (int cp : new int[] {'"', '\\'}) if (cc.contains(cp)) alts.add(literal(JsonText.escape(cp)));
                for (int cp = 0; cp < 0x20; cp++) if (cc.contains(cp)) alts.add(literal(JsonText.escape(cp)));
                yield alts.size() == 1 ? alts.getFirst() : new GrammarExpr.Choice(alts);
            }
            case GrammarExpr.Sequence s -> new GrammarExpr.Sequence(s.parts().stream().map(JsonGrammars::escapedForString).toList());
            case GrammarExpr.Choice c -> new GrammarExpr.Choice(c.alternatives().stream().map(JsonGrammars::escapedForString).toList());
            case GrammarExpr.Repeat r -> new GrammarExpr.Repeat(escapedForString(r.body()), r.min(), r.max());
            case GrammarExpr.RuleRef r -> throw new IllegalArgumentException("a pattern has no rule references: " + r);
        };
    }
}
