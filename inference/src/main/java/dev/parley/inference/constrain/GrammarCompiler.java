package dev.parley.inference.constrain;

import dev.parley.inference.tokenizer.IntList;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers a {@link Grammar} to a byte-level grammar: every character class becomes UTF-8 byte-range sequences,
 * groups and repetitions become helper rules (repetition right-recursive, so a parse stack does not grow with the
 * count), and each byte position is a 256-bit byte set. Then it prunes alternatives that can never finish (so every
 * live parse state can still complete) and refuses left recursion, which a top-down recognizer cannot run.
 */
final class GrammarCompiler {
    private final Grammar grammar;
    private final Map<String, Integer> ruleIds = new HashMap<>();
    private final List<String> ruleNames = new ArrayList<>();
    /** Per rule, its alternatives; each element is {@code term * 2} or {@code rule * 2 + 1}. */
    private final List<List<int[]>> ruleAlts = new ArrayList<>();
    private final List<long[]> terms = new ArrayList<>();
    private final Map<List<Long>, Integer> termIds = new HashMap<>();
    private final Map<CharClass, Integer> classRules = new HashMap<>();
    private String currentRule;
    private int helperCount;

    private record CharClass(int[] ranges) {
        @Override public boolean equals(Object o) {
            return o instanceof CharClass c && Arrays.equals(ranges, c.ranges);
        }

        @Override public int hashCode() {
            return Arrays.hashCode(ranges);
        }
    }

    private GrammarCompiler(Grammar grammar) {
        this.grammar = grammar;
    }

    static CompiledGrammar compile(Grammar grammar) {
        return new GrammarCompiler(grammar).run();
    }

    private CompiledGrammar run() {
        for (String name : grammar.rules().keySet()) newRule(name);
        for (Map.Entry<String, GrammarExpr> rule : grammar.rules().entrySet()) {
            currentRule = rule.getKey();
            helperCount = 0;
            List<int[]> alts = ruleAlts.get(ruleIds.get(rule.getKey()));
            if (rule.getValue() instanceof GrammarExpr.Choice choice) {
                for (GrammarExpr alt : choice.alternatives()) alts.add(lowerSequence(alt));
            } else {
                alts.add(lowerSequence(rule.getValue()));
            }
        }
        int root = ruleIds.get(grammar.root());
        pruneUnproductive(root);
        checkLeftRecursion();
        return flatten(root);
    }

    private int newRule(String name) {
        int id = ruleNames.size();
        ruleNames.add(name);
        ruleAlts.add(new ArrayList<>());
        ruleIds.put(name, id);
        return id;
    }

    private int helperRule() {
        String base = currentRule + "-" + (++helperCount);
        String name = base;
        for (int i = 2; ruleIds.containsKey(name); i++) name = base + "-" + i;
        return newRule(name);
    }

    private int[] lowerSequence(GrammarExpr expr) {
        IntList out = new IntList();
        lower(expr, out);
        return out.toArray();
    }

    private void lower(GrammarExpr expr, IntList out) {
        switch (expr) {
            case GrammarExpr.Literal literal -> {
                for (byte b : literal.text().getBytes(StandardCharsets.UTF_8)) out.add(term(b & 0xFF, b & 0xFF) * 2);
            }
            case GrammarExpr.CharClass cc -> lowerCharClass(cc, out);
            case GrammarExpr.Sequence seq -> {
                for (GrammarExpr part : seq.parts()) lower(part, out);
            }
            case GrammarExpr.Choice choice -> {
                if (choice.alternatives().size() == 1) {
                    lower(choice.alternatives().getFirst(), out);
                } else {
                    int rule = helperRule();
                    for (GrammarExpr alt : choice.alternatives()) ruleAlts.get(rule).add(lowerSequence(alt));
                    out.add(rule * 2 + 1);
                }
            }
            case GrammarExpr.RuleRef ref -> {
                Integer id = ruleIds.get(ref.name());
                if (id == null) throw new GrammarException("rule '" + ref.name() + "' (used in '" + currentRule + "') is not defined");
                out.add(id * 2 + 1);
            }
            case GrammarExpr.Repeat repeat -> lowerRepeat(repeat, out);
        }
    }

    private void lowerRepeat(GrammarExpr.Repeat repeat, IntList out) {
        if (repeat.max() == 0) return;
        int body = ruleFor(repeat.body());
        for (int i = 0; i < repeat.min(); i++) out.add(body * 2 + 1);
        if (repeat.max() == GrammarExpr.Repeat.UNBOUNDED) {
            int star = helperRule(); // star ::= body star | ""  (tail call: the stack stays flat)
            ruleAlts.get(star).add(new int[] {body * 2 + 1, star * 2 + 1});
            ruleAlts.get(star).add(new int[0]);
            out.add(star * 2 + 1);
        } else if (repeat.max() > repeat.min()) {
            int optional = -1; // opt_k ::= body opt_{k-1} | ""
            for (int k = 1; k <= repeat.max() - repeat.min(); k++) {
                int rule = helperRule();
                ruleAlts.get(rule).add(optional < 0 ? new int[] {body * 2 + 1} : new int[] {body * 2 + 1, optional * 2 + 1});
                ruleAlts.get(rule).add(new int[0]);
                optional = rule;
            }
            out.add(optional * 2 + 1);
        }
    }

    /** A rule that matches exactly {@code expr}: the named rule itself for a reference, else a helper rule. */
    private int ruleFor(GrammarExpr expr) {
        if (expr instanceof GrammarExpr.RuleRef ref) {
            Integer id = ruleIds.get(ref.name());
            if (id == null) throw new GrammarException("rule '" + ref.name() + "' (used in '" + currentRule + "') is not defined");
            return id;
        }
        int rule = helperRule();
        if (expr instanceof GrammarExpr.Choice choice) {
            for (GrammarExpr alt : choice.alternatives()) ruleAlts.get(rule).add(lowerSequence(alt));
        } else {
            ruleAlts.get(rule).add(lowerSequence(expr));
        }
        return rule;
    }

    private void lowerCharClass(GrammarExpr.CharClass cc, IntList out) {
        int[] ranges = cc.ranges();
        if (ranges.length == 2 && ranges[1] <= 0x7F) { // one ASCII range: one byte set
            out.add(term(ranges[0], ranges[1]) * 2);
            return;
        }
        CharClass key = new CharClass(ranges);
        Integer cached = classRules.get(key);
        if (cached != null) {
            out.add(cached * 2 + 1);
            return;
        }
        long[] singleBytes = new long[4];
        List<int[]> multi = new ArrayList<>();
        for (int i = 0; i < ranges.length; i += 2) {
            for (int[] seq : Utf8Ranges.sequences(ranges[i], ranges[i + 1])) {
                if (seq.length == 2) {
                    for (int b = seq[0]; b <= seq[1]; b++) singleBytes[b >>> 6] |= 1L << (b & 63);
                } else {
                    multi.add(seq);
                }
            }
        }
        boolean anySingle = (singleBytes[0] | singleBytes[1] | singleBytes[2] | singleBytes[3]) != 0;
        if (multi.isEmpty() && anySingle) {
            out.add(term(singleBytes) * 2);
            return;
        }
        int rule = newRule("[" + currentRule + " char class " + classRules.size() + "]");
        classRules.put(key, rule);
        if (anySingle) ruleAlts.get(rule).add(new int[] {term(singleBytes) * 2});
        for (int[] seq : multi) {
            int[] alt = new int[seq.length / 2];
            for (int i = 0; i < alt.length; i++) alt[i] = term(seq[2 * i], seq[2 * i + 1]) * 2;
            ruleAlts.get(rule).add(alt);
        }
        out.add(rule * 2 + 1); // no alternatives at all for an empty class: pruned as unproductive below
    }

    private int term(int lo, int hi) {
        long[] bits = new long[4];
        for (int b = lo; b <= hi; b++) bits[b >>> 6] |= 1L << (b & 63);
        return term(bits);
    }

    private int term(long[] bits) {
        List<Long> key = List.of(bits[0], bits[1], bits[2], bits[3]);
        return termIds.computeIfAbsent(key, k -> {
            terms.add(bits.clone());
            return terms.size() - 1;
        });
    }

    /** Drops alternatives that use a rule which derives no finite string; the root must keep at least one. */
    private void pruneUnproductive(int root) {
        int n = ruleNames.size();
        boolean[] productive = rulesWithAnAlternative(GrammarCompiler::allProductive);
        if (!productive[root]) {
            throw new GrammarException("the grammar matches no string: rule '" + ruleNames.get(root) + "' never finishes");
        }
        for (int r = 0; r < n; r++) ruleAlts.get(r).removeIf(alt -> !allProductive(alt, productive));
    }

    /** The least fixed point: rules with an alternative that {@code holds}, given the rules found so far. */
    private boolean[] rulesWithAnAlternative(java.util.function.BiPredicate<int[], boolean[]> holds) {
        int n = ruleNames.size();
        boolean[] found = new boolean[n];
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int r = 0; r < n; r++) {
                if (found[r]) continue;
                for (int[] alt : ruleAlts.get(r)) {
                    if (holds.test(alt, found)) {
                        found[r] = true;
                        changed = true;
                        break;
                    }
                }
            }
        }
        return found;
    }

    private static boolean allProductive(int[] alt, boolean[] productive) {
        for (int element : alt) if ((element & 1) == 1 && !productive[element >>> 1]) return false;
        return true;
    }

    /**
     * A rule reached again at the left edge of itself (possibly after nullable symbols) would grow the parse stack
     * forever, unless every step of the cycle is a tail call (then the stack does not grow: {@code x*} is that).
     */
    private void checkLeftRecursion() {
        int n = ruleNames.size();
        boolean[] nullable = rulesWithAnAlternative((alt, known) -> {
            for (int e : alt) if ((e & 1) == 0 || !known[e >>> 1]) return false;
            return true;
        });
        // Edges: rule -> rule called at the left edge; remember the non-tail ones.
        List<List<int[]>> edges = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<int[]> out = new ArrayList<>();
            for (int[] alt : ruleAlts.get(r)) {
                for (int i = 0; i < alt.length; i++) {
                    int e = alt[i];
                    if ((e & 1) == 0) break;
                    out.add(new int[] {e >>> 1, i == alt.length - 1 ? 0 : 1});
                    if (!nullable[e >>> 1]) break;
                }
            }
            edges.add(out);
        }
        int[] component = new Tarjan(edges).components();
        for (int r = 0; r < n; r++) {
            for (int[] edge : edges.get(r)) {
                if (edge[1] == 1 && component[edge[0]] == component[r]) {
                    throw new GrammarException("rule '" + ruleNames.get(r) + "' is left-recursive (it can reach itself"
                            + " through '" + ruleNames.get(edge[0]) + "' before reading any character); rewrite it"
                            + " with repetition, e.g. x ::= y (\"op\" y)*");
                }
            }
        }
    }

    private CompiledGrammar flatten(int root) {
        IntList code = new IntList();
        int n = ruleNames.size();
        int[][] altStarts = new int[n][];
        for (int r = 0; r < n; r++) {
            List<int[]> alts = ruleAlts.get(r);
            altStarts[r] = new int[alts.size()];
            for (int a = 0; a < alts.size(); a++) {
                altStarts[r][a] = code.size();
                for (int e : alts.get(a)) {
                    code.add((e & 1) == 0 ? CompiledGrammar.term(e >>> 1) : CompiledGrammar.rule(e >>> 1));
                }
                code.add(CompiledGrammar.END);
            }
        }
        long[] termBits = new long[terms.size() * 4];
        for (int t = 0; t < terms.size(); t++) System.arraycopy(terms.get(t), 0, termBits, 4 * t, 4);
        return new CompiledGrammar(code.toArray(), altStarts, ruleNames.toArray(String[]::new), termBits, root);
    }

    /** Strongly connected components (Tarjan), iterative so deep grammars do not overflow the stack. */
    private static final class Tarjan {
        private final List<List<int[]>> edges;
        private final int[] index;
        private final int[] low;
        private final int[] component;
        private final boolean[] onStack;
        private final Deque<Integer> stack = new ArrayDeque<>();
        private int counter;
        private int components;

        Tarjan(List<List<int[]>> edges) {
            this.edges = edges;
            int n = edges.size();
            index = new int[n];
            low = new int[n];
            component = new int[n];
            onStack = new boolean[n];
            Arrays.fill(index, -1);
        }

        int[] components() {
            for (int v = 0; v < edges.size(); v++) if (index[v] < 0) visit(v);
            return component;
        }

        private void visit(int start) {
            Deque<int[]> work = new ArrayDeque<>(); // {vertex, next edge}
            work.push(new int[] {start, 0});
            index[start] = low[start] = counter++;
            stack.push(start);
            onStack[start] = true;
            while (!work.isEmpty()) {
                int[] frame = work.peek();
                int v = frame[0];
                if (frame[1] < edges.get(v).size()) {
                    int w = edges.get(v).get(frame[1]++)[0];
                    if (index[w] < 0) {
                        index[w] = low[w] = counter++;
                        stack.push(w);
                        onStack[w] = true;
                        work.push(new int[] {w, 0});
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], index[w]);
                    }
                } else {
                    work.pop();
                    if (!work.isEmpty()) low[work.peek()[0]] = Math.min(low[work.peek()[0]], low[v]);
                    if (low[v] == index[v]) {
                        int w;
                        do {
                            w = stack.pop();
                            onStack[w] = false;
                            component[w] = components;
                        } while (w != v);
                        components++;
                    }
                }
            }
        }
    }
}
