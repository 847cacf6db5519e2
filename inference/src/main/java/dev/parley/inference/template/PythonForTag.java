package dev.parley.inference.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * jinja2's {@code for}: {@code {% for x in xs if cond %}} filters before numbering ({@code loop.index},
 * {@code loop.last} count only kept items), {@code {% else %}} renders when nothing was kept, and tuples unpack
 * into several targets. Jinjava's own tag renders the filtered form as nothing and the else body every time.
 */
final class PythonForTag implements Tag {
    @Override
    public String getName() {
        return "for";
    }

    @Override
    public String getEndTagName() {
        return "endfor";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        ForHeader header = ForHeader.parse(tagNode.getHelpers(), tagNode.getLineNumber(), tagNode.getStartPosition());
        Object collection = interpreter.resolveELExpression(header.iterable(), tagNode.getLineNumber());

        List<Node> body = new ArrayList<>();
        List<Node> elseBody = new ArrayList<>();
        List<Node> target = body;
        for (Node child : tagNode.getChildren()) {
            if (target == body && child instanceof TagNode tag && tag.getName().equals("else")) {
                target = elseBody;
                continue;
            }
            target.add(child);
        }

        StringBuilder out = new StringBuilder();
        int depth0 = interpreter.getContext().get("loop") instanceof PythonLoop outer ? outer.getDepth() : 0;
        try (JinjavaInterpreter.InterpreterScopeClosable scope = interpreter.enterScope()) {
            List<Object> items = new ArrayList<>();
            for (Object item : materialise(collection)) {
                if (header.condition() == null) {
                    items.add(item);
                } else {
                    bindTargets(header.targets(), item, interpreter);
                    Object keep = interpreter.resolveELExpression(header.condition(), tagNode.getLineNumber());
                    if (PythonValues.truthy(keep)) items.add(item);
                }
            }
            if (items.isEmpty()) {
                for (Node node : elseBody) out.append(node.render(interpreter).getValue());
                return out.toString();
            }
            PythonLoop loop = new PythonLoop(items, depth0);
            interpreter.getContext().put("loop", loop);
            while (loop.hasNext()) {
                bindTargets(header.targets(), interpreter.wrap(loop.next()), interpreter);
                for (Node node : body) {
                    out.append(node.render(interpreter).getValue());
                    if (loop.isContinued()) break;
                }
            }
        }
        return out.toString();
    }

    private static Iterable<?> materialise(Object collection) {
        if (collection == null) {
            // jinja2 iterates an undefined value as empty; None is an error there, but Jinjava cannot tell them apart.
            return List.of();
        }
        if (collection instanceof Map<?, ?> map) return new ArrayList<>(map.keySet());
        if (collection instanceof Collection<?> c) return new ArrayList<>(c);
        return PythonStrings.iterate(collection);
    }

    private static void bindTargets(List<String> targets, Object item, JinjavaInterpreter interpreter) {
        if (targets.size() == 1) {
            interpreter.getContext().put(targets.getFirst(), item);
            return;
        }
        List<Object> values = new ArrayList<>();
        if (item instanceof Map.Entry<?, ?> e) {
            values.add(e.getKey());
            values.add(e.getValue());
        } else if (item instanceof List<?> list) {
            values.addAll(list);
        } else if (item instanceof Object[] array) {
            values.addAll(List.of(array));
        } else {
            throw new TemplateException("TypeError: cannot unpack non-iterable " + PythonStrings.typeName(item) + " object");
        }
        if (values.size() != targets.size()) {
            throw new TemplateException("ValueError: expected " + targets.size() + " values to unpack, got " + values.size());
        }
        for (int i = 0; i < targets.size(); i++) interpreter.getContext().put(targets.get(i), values.get(i));
    }

    /** {@code a, b in expr [if cond] [recursive]}, split at top-level keywords outside strings and brackets. */
    record ForHeader(List<String> targets, String iterable, String condition) {
        static ForHeader parse(String helpers, int line, int position) {
            List<ExpressionToken> tokens = ExpressionTokenizer.tokenize(helpers);
            int in = -1;
            int condition = -1;
            int depth = 0;
            for (int i = 0; i < tokens.size(); i++) {
                ExpressionToken t = tokens.get(i);
                if (t.opensBracket()) depth++;
                else if (t.closesBracket()) depth--;
                else if (depth == 0 && t.isName("in") && in < 0) in = i;
                else if (depth == 0 && t.isName("if") && in >= 0 && condition < 0) condition = i;
            }
            if (in < 1) {
                throw new TemplateSyntaxException(helpers, "Tag 'for' expects 'targets in iterable', got: " + helpers.strip(), line, position);
            }
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < in; i++) {
                ExpressionToken t = tokens.get(i);
                if (t.kind() == ExpressionToken.Kind.NAME) targets.add(t.text());
            }
            int iterableEnd = condition >= 0 ? condition : tokens.size();
            if (iterableEnd - 1 > in + 1 && tokens.get(iterableEnd - 1).isName("recursive")) iterableEnd--;
            String iterable = helpers.substring(tokens.get(in).end(), iterableEnd < tokens.size() ? tokens.get(iterableEnd).start() : helpers.length());
            String cond = null;
            if (condition >= 0) {
                int condEnd = tokens.size();
                if (condEnd - 1 > condition + 1 && tokens.get(condEnd - 1).isName("recursive")) condEnd--;
                cond = helpers.substring(tokens.get(condition).end(), condEnd < tokens.size() ? tokens.get(condEnd).start() : helpers.length());
            }
            return new ForHeader(List.copyOf(targets), iterable.strip(), cond == null ? null : cond.strip());
        }
    }
}
