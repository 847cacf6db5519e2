package dev.parley.inference.constrain;

import java.nio.charset.StandardCharsets;

/**
 * A grammar lowered to bytes, ready for matching: rules are runs of positions in one code array (a byte-set
 * position, a rule call, or the end of an alternative), as in llama.cpp's grammar elements but over bytes. The
 * tables are immutable, so one compiled grammar is shared by every sequence that uses it (cache it by its source
 * text). The parse states reached while matching are interned in a {@link StateSpace} owned by the grammar, which
 * is internally locked; see {@link #newParser()}.
 */
public final class CompiledGrammar {
    static final int END = 0;
    private static final int KIND_TERM = 1;
    private static final int KIND_RULE = 2;

    /** Per position: kind in the low 2 bits, the byte-set or rule id above. */
    final int[] code;
    /** Per rule, the code positions where its alternatives start. */
    final int[][] altStarts;
    final String[] ruleNames;
    /** 4 longs (256 bits) per byte set. */
    final long[] termBits;
    final int rootRule;
    /** Bytes no byte set tells apart share a class: transitions are stored per class. */
    final byte[] byteClass = new byte[256];
    final int classCount;
    final StateSpace states;

    CompiledGrammar(int[] code, int[][] altStarts, String[] ruleNames, long[] termBits, int rootRule) {
        this.code = code;
        this.altStarts = altStarts;
        this.ruleNames = ruleNames;
        this.termBits = termBits;
        this.rootRule = rootRule;
        this.classCount = computeByteClasses();
        this.states = new StateSpace(this);
    }

    static int term(int id) {
        return id << 2 | KIND_TERM;
    }

    static int rule(int id) {
        return id << 2 | KIND_RULE;
    }

    static boolean isTerm(int element) {
        return (element & 3) == KIND_TERM;
    }

    static boolean isRule(int element) {
        return (element & 3) == KIND_RULE;
    }

    static int argument(int element) {
        return element >>> 2;
    }

    boolean termAccepts(int term, int b) {
        return (termBits[4 * term + (b >>> 6)] >>> (b & 63) & 1L) != 0;
    }

    /** A parser at the start of the grammar: byte-level, for tests and for front ends that check text. */
    public GrammarParser newParser() {
        return new GrammarParser(this, states.start());
    }

    /** Whether the whole of {@code text} is in the grammar's language. */
    public boolean matches(String text) {
        GrammarParser parser = newParser();
        return parser.advance(text.getBytes(StandardCharsets.UTF_8)) && parser.isComplete();
    }

    private int computeByteClasses() {
        int terms = termBits.length / 4;
        java.util.Map<String, Integer> classes = new java.util.HashMap<>();
        StringBuilder signature = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            signature.setLength(0);
            for (int t = 0; t < terms; t++) signature.append(termAccepts(t, b) ? '1' : '0');
            int id = classes.computeIfAbsent(signature.toString(), s -> classes.size());
            byteClass[b] = (byte) id;
        }
        return classes.size();
    }
}
