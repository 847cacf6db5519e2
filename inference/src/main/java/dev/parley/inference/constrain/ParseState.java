package dev.parley.inference.constrain;

import java.util.Arrays;

/**
 * One configuration of the byte-level recognizer: the set of parse stacks still alive (each stack is an interned
 * node id whose top is a byte-set position) and whether some parse has finished. States are interned by their
 * {@link StateSpace}, so two equal configurations are the same object: that makes transitions and token masks
 * cacheable per state (a state determines everything that can follow). Immutable apart from the transition cache,
 * which only its state space reads and writes, under its lock.
 */
public final class ParseState {
    final int[] nodes;
    final boolean accepting;
    private final int hash;
    /** Next state per byte class, filled lazily; null entries are not computed yet. */
    ParseState[] next;

    ParseState(int[] nodes, boolean accepting) {
        this.nodes = nodes;
        this.accepting = accepting;
        this.hash = Arrays.hashCode(nodes) * 2 + (accepting ? 1 : 0);
    }

    /** Whether the bytes read so far form a complete sentence of the grammar. */
    public boolean isAccepting() {
        return accepting;
    }

    /** Whether at least one more byte can be read. */
    public boolean canContinue() {
        return nodes.length > 0;
    }

    boolean isDead() {
        return nodes.length == 0 && !accepting;
    }

    boolean sameConfiguration(int[] otherNodes, boolean otherAccepting) {
        return accepting == otherAccepting && Arrays.equals(nodes, otherNodes);
    }

    @Override public int hashCode() {
        return hash;
    }

    @Override public boolean equals(Object o) {
        return o instanceof ParseState s && s.hash == hash && s.sameConfiguration(nodes, accepting);
    }
}
