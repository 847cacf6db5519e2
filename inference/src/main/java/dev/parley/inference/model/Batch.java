package dev.parley.inference.model;

import java.util.Arrays;

/**
 * The rows of one forward step over many sequences: each row is one token at one position of one sequence, with that
 * sequence's block table (rows of a sequence share the same table and are consecutive, in position order). A row
 * flagged for logits gets a vocabulary row back — normally the last row of each sequence in the step; a row flagged
 * for its hidden state gets its final normed hidden state instead (embeddings pool these). Reused across steps:
 * {@link #clear()} keeps the arrays.
 */
public final class Batch {
    int size;
    int[] tokens = new int[64];
    int[] positions = new int[64];
    int[][] tables = new int[64][];
    boolean[] logits = new boolean[64];
    boolean[] hidden = new boolean[64];
    int logitRows, hiddenRows;

    public void clear() {
        size = 0;
        logitRows = 0;
        hiddenRows = 0;
    }

    /** Adds a row; {@code blockTable} maps position / blockSize to a block of the paged cache. */
    public void add(int token, int position, int[] blockTable, boolean wantLogits) {
        add(token, position, blockTable, wantLogits, false);
    }

    /** Adds a row that may also (or instead) want its final normed hidden state. */
    public void add(int token, int position, int[] blockTable, boolean wantLogits, boolean wantHidden) {
        if (size == tokens.length) {
            int n = size * 2;
            tokens = Arrays.copyOf(tokens, n);
            positions = Arrays.copyOf(positions, n);
            tables = Arrays.copyOf(tables, n);
            logits = Arrays.copyOf(logits, n);
            hidden = Arrays.copyOf(hidden, n);
        }
        tokens[size] = token;
        positions[size] = position;
        tables[size] = blockTable;
        logits[size] = wantLogits;
        hidden[size] = wantHidden;
        if (wantLogits) logitRows++;
        if (wantHidden) hiddenRows++;
        size++;
    }

    public int size() { return size; }
    public int logitRows() { return logitRows; }
    public int hiddenRows() { return hiddenRows; }
}
