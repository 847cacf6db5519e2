package dev.parley.server.tools;

import dev.parley.inference.constrain.Grammar;
import dev.parley.inference.constrain.GrammarException;
import dev.parley.inference.constrain.GrammarExpr;
import dev.parley.inference.constrain.Grammars;
import dev.parley.server.chat.ChatException;
import dev.parley.server.chat.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The grammars of replies with tool calls. {@link #of}: a reply that is nothing but tool calls, in a family's syntax: its wrapper text around each call's
 * {@code {"name": "<function>", "<arguments key>": <arguments>}}, the arguments constrained to that function's
 * parameter schema (the constraint package's JSON Schema front end). {@code tool_choice: required} allows any of the
 * functions (one or more calls when parallel calls are allowed), a named function exactly one call of it. Decoded
 * under this grammar, a reply always parses as calls whose arguments validate. {@link #auto}: {@code tool_choice: auto},
 * free text until the model opens a call, then the rest constrained as above.
 */
public final class ToolCallGrammar {
    private ToolCallGrammar() {}

    /**
     * The constraint's grammar text for a request's reply (GBNF, the engine's grammar cache's key): forced calls for
     * {@code required} or a named function, text-then-calls for {@code auto}.
     */
    public static String gbnf(ToolCallFormat format, ToolRequest request) {
        return GbnfText.of(request.choice().forcesCall() ? of(format, request) : auto(format, request));
    }

    /** The grammar of forced calls; a function whose schema the constraint cannot express is a bad_request naming it. */
    public static Grammar of(ToolCallFormat format, ToolRequest request) {
        Map<String, GrammarExpr> all = new LinkedHashMap<>();
        all.put("root", new GrammarExpr.Sequence(List.of(new GrammarExpr.Literal(format.open), calls(format, request, all),
                new GrammarExpr.Literal(format.close))));
        return new Grammar("root", all);
    }

    /**
     * {@code tool_choice: auto}: any text, but once the model writes the family's call opening (Hermes: the
     * {@code <tool_call>} marker anywhere; the JSON families: a reply whose first non-blank character is the opening brace
     * of a call, Mistral: the opening bracket of its call array)
     * the rest must be calls, as {@link #of} writes them, and the reply ends after them. The text states are few, so
     * their token masks come from the constraint's cache after the first steps.
     */
    public static Grammar auto(ToolCallFormat format, ToolRequest request) {
        Map<String, GrammarExpr> rules = new LinkedHashMap<>();
        rules.put("root", new GrammarExpr.RuleRef("text0")); // placeholder order: root first
        GrammarExpr calls = calls(format, request, rules);
        if (format == ToolCallFormat.HERMES) {
            String marker = format.markers.getFirst();
            GrammarExpr afterMarker = new GrammarExpr.Sequence(List.of(
                    new GrammarExpr.Literal(format.open.substring(marker.length())), calls, new GrammarExpr.Literal(format.close)));
            textWithout(marker, afterMarker, rules);
        } else {
            GrammarExpr blank = new GrammarExpr.Repeat(GrammarExpr.CharClass.of(new int[] {' ', ' ', '\t', '\t', '\n', '\n', '\r', '\r'}, false),
                    0, GrammarExpr.Repeat.UNBOUNDED);
            int opening = format == ToolCallFormat.MISTRAL ? '[' : '{'; // what starts this family's calls
            GrammarExpr notJson = GrammarExpr.CharClass.of(new int[] {opening, opening, ' ', ' ', '\t', '\t', '\n', '\n', '\r', '\r'}, true);
            GrammarExpr text = new GrammarExpr.Sequence(List.of(notJson,
                    new GrammarExpr.Repeat(GrammarExpr.CharClass.ANY, 0, GrammarExpr.Repeat.UNBOUNDED)));
            GrammarExpr callReply = new GrammarExpr.Sequence(List.of(new GrammarExpr.Literal(format.open), calls,
                    new GrammarExpr.Literal(format.close)));
            rules.put("root", new GrammarExpr.Sequence(List.of(blank,
                    new GrammarExpr.Choice(List.of(new GrammarExpr.Literal(""), text, callReply)))));
        }
        return new Grammar("root", rules);
    }

    /**
     * Rules {@code text0..text(n-1)}: text in which {@code marker} does not occur (state k: the text ends with the
     * marker's first k characters, as in Knuth-Morris-Pratt matching), where completing the marker continues with
     * {@code then}. Root calls {@code text0}.
     */
    private static void textWithout(String marker, GrammarExpr then, Map<String, GrammarExpr> rules) {
        int[] chars = marker.codePoints().distinct().toArray();
        int[] codePoints = marker.codePoints().toArray();
        int n = codePoints.length;
        for (int state = 0; state < n; state++) {
            List<GrammarExpr> alternatives = new ArrayList<>();
            alternatives.add(new GrammarExpr.Literal(""));
            List<Integer> seen = new ArrayList<>();
            for (int c : chars) {
                int next = next(codePoints, state, c);
                GrammarExpr step = GrammarExpr.CharClass.single(c);
                alternatives.add(new GrammarExpr.Sequence(List.of(step, next == n ? then : new GrammarExpr.RuleRef("text" + next))));
                seen.add(c);
                seen.add(c);
            }
            int[] others = seen.stream().mapToInt(Integer::intValue).toArray();
            alternatives.add(new GrammarExpr.Sequence(List.of(GrammarExpr.CharClass.of(others, true), new GrammarExpr.RuleRef("text0"))));
            rules.put("text" + state, new GrammarExpr.Choice(alternatives));
        }
    }

    /** After the marker's first {@code state} characters and then {@code c}: how many of its characters the text ends with. */
    private static int next(int[] marker, int state, int c) {
        for (int k = Math.min(state + 1, marker.length); k > 0; k--) {
            boolean match = marker[k - 1] == c;
            for (int i = 0; match && i < k - 1; i++) match = marker[i] == marker[state - (k - 1) + i];
            if (match) return k;
        }
        return 0;
    }

    /** The calls a reply may make (one, or several joined by the family's separator), their rules added to {@code all}. */
    private static GrammarExpr calls(ToolCallFormat format, ToolRequest request, Map<String, GrammarExpr> all) {
        Map<String, GrammarExpr> rules = new LinkedHashMap<>();
        List<GrammarExpr> calls = new ArrayList<>();
        List<FunctionTool> callable = request.callable();
        for (int i = 0; i < callable.size(); i++) {
            FunctionTool tool = callable.get(i);
            String prefix = "tool" + i + "-";
            Grammar arguments = arguments(tool, request);
            arguments.rules().forEach((name, expr) -> rules.put(prefix + name, renamed(expr, prefix)));
            GrammarExpr call = new GrammarExpr.Sequence(List.of(
                    new GrammarExpr.Literal("{\"name\": \"" + tool.name() + "\", \"" + format.argumentsKey + "\": "),
                    new GrammarExpr.RuleRef(prefix + arguments.root()),
                    new GrammarExpr.Literal("}")));
            rules.put(prefix + "call", call);
            calls.add(new GrammarExpr.RuleRef(prefix + "call"));
        }
        rules.put("call", calls.size() == 1 ? calls.getFirst() : new GrammarExpr.Choice(calls));
        GrammarExpr body = new GrammarExpr.RuleRef("call");
        if (request.parallelCalls() && request.choice().mode() != ToolChoice.Mode.NAMED) {
            body = new GrammarExpr.Sequence(List.of(body, new GrammarExpr.Repeat(new GrammarExpr.Sequence(List.of(
                    new GrammarExpr.Literal(format.between()), new GrammarExpr.RuleRef("call"))), 0, GrammarExpr.Repeat.UNBOUNDED)));
        }
        all.putAll(rules);
        return body;
    }

    private static Grammar arguments(FunctionTool tool, ToolRequest request) {
        try {
            return Grammars.jsonSchema(new JsonObject(tool.parameters()).encode());
        } catch (GrammarException e) {
            int index = request.tools().indexOf(tool);
            throw new ChatException(ErrorCode.BAD_REQUEST, "tools[" + index + "].function.parameters: " + e.getMessage()
                    + " (tool_choice " + (request.choice().mode() == ToolChoice.Mode.NAMED ? "naming a function" : "required")
                    + " constrains the call to this schema)");
        }
    }

    /** The expression with every rule it calls renamed into one function's name space. */
    private static GrammarExpr renamed(GrammarExpr expr, String prefix) {
        return switch (expr) {
            case GrammarExpr.RuleRef ref -> new GrammarExpr.RuleRef(prefix + ref.name());
            case GrammarExpr.Sequence seq -> new GrammarExpr.Sequence(seq.parts().stream().map(p -> renamed(p, prefix)).toList());
            case GrammarExpr.Choice choice -> new GrammarExpr.Choice(choice.alternatives().stream().map(a -> renamed(a, prefix)).toList());
            case GrammarExpr.Repeat repeat -> new GrammarExpr.Repeat(renamed(repeat.body(), prefix), repeat.min(), repeat.max());
            case GrammarExpr.Literal literal -> literal;
            case GrammarExpr.CharClass chars -> chars;
        };
    }
}
