package dev.parley.inference.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One node of the grammar IR: a context-free expression over Unicode code points. Every front end (GBNF, JSON
 * Schema, regex, choice list) builds these; {@link GrammarCompiler} lowers them to a byte-level pushdown grammar.
 */
public sealed interface GrammarExpr {
    /** The largest code point; surrogates (U+D800..U+DFFF) are never matched, since UTF-8 cannot encode them. */
    int MAX_CODE_POINT = 0x10FFFF;
    /** Counted repetitions beyond this are refused: the compiler expands them into that many rules. */
    int MAX_REPEAT = 10_000;

    /** The exact text. */
    record Literal(String text) implements GrammarExpr {}

    /**
     * One code point out of a set, stored as sorted, disjoint, non-adjacent inclusive ranges {@code [lo0, hi0, lo1,
     * hi1, ...]}. Build it with {@link #of}, which normalizes.
     */
    record CharClass(int[] ranges) implements GrammarExpr {
        public static final CharClass ANY = of(new int[] {0, MAX_CODE_POINT}, false);

        /** The class of the given (unordered, possibly overlapping) inclusive ranges, complemented when {@code negated}. */
        public static CharClass of(int[] ranges, boolean negated) {
            int[] normal = normalize(ranges);
            return new CharClass(negated ? complement(normal) : normal);
        }

        public static CharClass single(int codePoint) {
            return new CharClass(new int[] {codePoint, codePoint});
        }

        public boolean contains(int codePoint) {
            for (int i = 0; i < ranges.length; i += 2) if (codePoint >= ranges[i] && codePoint <= ranges[i + 1]) return true;
            return false;
        }

        public CharClass union(CharClass other) {
            int[] both = Arrays.copyOf(ranges, ranges.length + other.ranges.length);
            System.arraycopy(other.ranges, 0, both, ranges.length, other.ranges.length);
            return new CharClass(normalize(both));
        }

        public CharClass minus(CharClass other) {
            int[] withoutOther = complement(other.ranges);
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < ranges.length; i += 2) {
                for (int j = 0; j < withoutOther.length; j += 2) {
                    int lo = Math.max(ranges[i], withoutOther[j]);
                    int hi = Math.min(ranges[i + 1], withoutOther[j + 1]);
                    if (lo <= hi) {
                        out.add(lo);
                        out.add(hi);
                    }
                }
            }
            return new CharClass(normalize(out.stream().mapToInt(Integer::intValue).toArray()));
        }

        @Override public boolean equals(Object o) {
            return o instanceof CharClass c && Arrays.equals(ranges, c.ranges);
        }

        @Override public int hashCode() {
            return Arrays.hashCode(ranges);
        }

        @Override public String toString() {
            return "CharClass" + Arrays.toString(ranges);
        }

        private static int[] normalize(int[] ranges) {
            if (ranges.length % 2 != 0) throw new IllegalArgumentException("ranges come in lo/hi pairs");
            int n = ranges.length / 2;
            long[] pairs = new long[n];
            for (int i = 0; i < n; i++) {
                int lo = ranges[2 * i];
                int hi = ranges[2 * i + 1];
                if (lo < 0 || hi > MAX_CODE_POINT || lo > hi) {
                    throw new IllegalArgumentException("bad code point range " + lo + ".." + hi);
                }
                pairs[i] = ((long) lo << 32) | hi;
            }
            Arrays.sort(pairs);
            List<Integer> out = new ArrayList<>();
            for (long p : pairs) {
                int lo = (int) (p >>> 32);
                int hi = (int) p;
                int last = out.size() - 1;
                if (last > 0 && lo <= out.get(last) + 1) {
                    out.set(last, Math.max(out.get(last), hi));
                } else {
                    out.add(lo);
                    out.add(hi);
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        private static int[] complement(int[] normal) {
            List<Integer> out = new ArrayList<>();
            int next = 0;
            for (int i = 0; i < normal.length; i += 2) {
                if (normal[i] > next) {
                    out.add(next);
                    out.add(normal[i] - 1);
                }
                next = normal[i + 1] + 1;
            }
            if (next <= MAX_CODE_POINT) {
                out.add(next);
                out.add(MAX_CODE_POINT);
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The parts one after the other; empty matches the empty string. */
    record Sequence(List<GrammarExpr> parts) implements GrammarExpr {
        public Sequence {
            parts = List.copyOf(parts);
        }
    }

    /** Any one of the alternatives; empty matches nothing. */
    record Choice(List<GrammarExpr> alternatives) implements GrammarExpr {
        public Choice {
            alternatives = List.copyOf(alternatives);
        }
    }

    /** The rule of that name. */
    record RuleRef(String name) implements GrammarExpr {}

    /** {@code body} between {@code min} and {@code max} times; {@code max == UNBOUNDED} for no upper bound. */
    record Repeat(GrammarExpr body, int min, int max) implements GrammarExpr {
        public static final int UNBOUNDED = -1;

        public Repeat {
            String problem = problem(min, max);
            if (problem != null) throw new GrammarException("repetition " + problem);
        }

        /** What is wrong with these bounds ({@code {m,n}: ...}), or null; parsers report it with a position. */
        static String problem(int min, int max) {
            String bounds = "{" + min + "," + (max == UNBOUNDED ? "" : max) + "}";
            if (min < 0 || (max != UNBOUNDED && max < min)) return bounds + ": maximum below minimum";
            if (min > MAX_REPEAT || max > MAX_REPEAT) return bounds + ": counts above " + MAX_REPEAT + " are not supported";
            return null;
        }
    }

    static GrammarExpr seq(GrammarExpr... parts) {
        return parts.length == 1 ? parts[0] : new Sequence(List.of(parts));
    }

    static GrammarExpr choice(GrammarExpr... alternatives) {
        return alternatives.length == 1 ? alternatives[0] : new Choice(List.of(alternatives));
    }

    static GrammarExpr literal(String text) {
        return new Literal(text);
    }

    static GrammarExpr ref(String name) {
        return new RuleRef(name);
    }

    static GrammarExpr optional(GrammarExpr body) {
        return new Repeat(body, 0, 1);
    }

    static GrammarExpr star(GrammarExpr body) {
        return new Repeat(body, 0, Repeat.UNBOUNDED);
    }

    static GrammarExpr plus(GrammarExpr body) {
        return new Repeat(body, 1, Repeat.UNBOUNDED);
    }
}
