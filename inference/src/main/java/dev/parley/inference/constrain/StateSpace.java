package dev.parley.inference.constrain;

import dev.parley.inference.tokenizer.IntList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The recognizer of a {@link CompiledGrammar}: persistent parse stacks and a lazily built automaton over them.
 *
 * <p>A stack is an interned node {@code (position, parent)}: "at this code position; when this alternative ends,
 * continue at {@code parent}" (node 0 is the empty stack: the whole input has been matched). Stacks share their
 * tails, so forking is free and a state is a small sorted set of node ids. Reading a byte advances every stack whose
 * top byte set accepts it, then closes over rule calls and alternative ends (with tail calls reusing the caller's
 * continuation, so {@code x*} never grows the stack). The resulting states are interned and each caches its
 * successor per byte class: after warm-up, stepping is an array read, like a lazily built DFA (RE2's lazy DFA idea,
 * applied to pushdown configurations). The cache is bounded: past {@link #MAX_STATES} states it is cleared.
 *
 * <p>Not thread-safe by itself: callers hold {@link #lock} around every call (one lock per grammar, taken once per
 * mask computation or token, not per byte).
 */
final class StateSpace {
    static final int MAX_STATES = 100_000;
    private static final int BOTTOM = 0;

    final Object lock = new Object();
    private final CompiledGrammar grammar;
    private final int classCount;
    private int[] nodePos = new int[1024];
    private int[] nodeParent = new int[1024];
    private int nodeCount = 1;
    private final Map<Long, Integer> nodeIds = new HashMap<>();
    private Map<ParseState, ParseState> states = new HashMap<>();
    private final ParseState dead = new ParseState(new int[0], false);
    private ParseState start;
    private long transitionsComputed;

    // Closure work buffers, reused.
    private int[] visitedStamp = new int[1024];
    private int stamp;
    private final IntList reached = new IntList();
    private final IntList work = new IntList();
    private boolean reachedBottom;

    StateSpace(CompiledGrammar grammar) {
        this.grammar = grammar;
        this.classCount = grammar.classCount;
        nodePos[BOTTOM] = -1;
        synchronized (lock) {
            beginClosure();
            int root = grammar.rootRule;
            for (int alt : grammar.altStarts[root]) closure(node(alt, BOTTOM));
            start = endClosure();
        }
    }

    ParseState start() {
        synchronized (lock) {
            return start;
        }
    }

    ParseState dead() {
        return dead;
    }

    /** The state after reading byte {@code b} in {@code state}. Caller holds {@link #lock}. */
    ParseState step(ParseState state, int b) {
        ParseState[] next = state.next;
        int cls = grammar.byteClass[b] & 0xFF;
        if (next != null) {
            ParseState known = next[cls];
            if (known != null) return known;
        } else {
            if (state.nodes.length == 0) return dead;
            next = state.next = new ParseState[classCount];
        }
        ParseState computed = computeStep(state, b);
        state.next[cls] = computed; // the array may have been replaced by a reset: write to the current one
        return computed;
    }

    /** Transitions computed (automaton misses), for benchmarks and tests. */
    long transitionsComputed() {
        synchronized (lock) {
            return transitionsComputed;
        }
    }

    private ParseState computeStep(ParseState state, int b) {
        transitionsComputed++;
        beginClosure();
        int[] code = grammar.code;
        for (int node : state.nodes) {
            int pos = nodePos[node];
            if (grammar.termAccepts(CompiledGrammar.argument(code[pos]), b)) {
                int parent = nodeParent[node];
                closure(code[pos + 1] == CompiledGrammar.END ? parent : node(pos + 1, parent));
            }
        }
        ParseState result = endClosure();
        if (state.next == null) state.next = new ParseState[classCount];
        return result;
    }

    private void beginClosure() {
        stamp++;
        reached.clear();
        reachedBottom = false;
    }

    /** Adds every byte-set position reachable from {@code start} without reading a byte. */
    private void closure(int startNode) {
        work.clear();
        work.add(startNode);
        int[] code = grammar.code;
        while (work.size() > 0) {
            int node = popWork();
            if (node >= visitedStamp.length) visitedStamp = Arrays.copyOf(visitedStamp, Math.max(node + 1, visitedStamp.length * 2));
            if (visitedStamp[node] == stamp) continue;
            visitedStamp[node] = stamp;
            if (node == BOTTOM) {
                reachedBottom = true;
                continue;
            }
            int pos = nodePos[node];
            int element = code[pos];
            if (element == CompiledGrammar.END) {
                work.add(nodeParent[node]);
            } else if (CompiledGrammar.isTerm(element)) {
                reached.add(node);
            } else {
                int parent = nodeParent[node];
                int continuation = code[pos + 1] == CompiledGrammar.END ? parent : node(pos + 1, parent);
                for (int alt : grammar.altStarts[CompiledGrammar.argument(element)]) work.add(node(alt, continuation));
            }
        }
    }

    private int popWork() {
        int last = work.size() - 1;
        int node = work.get(last);
        work.truncate(last);
        return node;
    }

    private ParseState endClosure() {
        int[] nodes = reached.toArray();
        Arrays.sort(nodes);
        if (nodes.length == 0 && !reachedBottom) return dead;
        ParseState candidate = new ParseState(nodes, reachedBottom);
        ParseState known = states.get(candidate);
        if (known != null) return known;
        if (states.size() >= MAX_STATES) reset();
        states.put(candidate, candidate);
        return candidate;
    }

    /** Forgets every interned state and cut their transition links, so the memory can be reclaimed. */
    private void reset() {
        for (ParseState s : states.keySet()) s.next = null;
        states = new HashMap<>();
        if (start != null) states.put(start, start);
    }

    private int node(int pos, int parent) {
        long key = (long) pos << 32 | parent;
        Integer id = nodeIds.get(key);
        if (id != null) return id;
        if (nodeCount == nodePos.length) {
            nodePos = Arrays.copyOf(nodePos, nodeCount * 2);
            nodeParent = Arrays.copyOf(nodeParent, nodeCount * 2);
        }
        nodePos[nodeCount] = pos;
        nodeParent[nodeCount] = parent;
        nodeIds.put(key, nodeCount);
        return nodeCount++;
    }
}
