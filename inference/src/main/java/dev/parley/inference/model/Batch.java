package dev.parley.inference.model;

import java.util.Arrays;

/**
 * The rows of one forward step over many sequences: each row is one token at one position of one sequence, with that
 * sequence's block table (rows of a sequence share the same table and are consecutive, in position order). A row
 * flagged for logits gets a vocabulary row back — normally the last row of each sequence in the step; a row flagged
 * for its hidden state gets its final normed hidden state instead (embeddings pool these). A row may name a LoRA
 * adapter its sequence is served with. Reused across steps:
 * {@link #clear()} keeps the arrays.
 */
public final class Batch {
    int size;
    int[] tokens = new int[64];
    int[] positions = new int[64];
    int[][] tables = new int[64][];
    boolean[] logits = new boolean[64];
    boolean[] hidden = new boolean[64];
    /** Each row's LoRA adapter, null for the base model. */
    LoraAdapter[] adapters = new LoraAdapter[64];
    int logitRows, hiddenRows, adaptedRows;
    /** The adapted rows' indices grouped by adapter (SGMV's segments), built by {@link #groupByAdapter()}. */
    int[] adaptedOrder = new int[64];

    public void clear() {
        size = 0;
        logitRows = 0;
        hiddenRows = 0;
        adaptedRows = 0;
    }

    /** Adds a row; {@code blockTable} maps position / blockSize to a block of the paged cache. */
    public void add(int token, int position, int[] blockTable, boolean wantLogits) {
        add(token, position, blockTable, wantLogits, false);
    }

    /** Adds a row that may also (or instead) want its final normed hidden state. */
    public void add(int token, int position, int[] blockTable, boolean wantLogits, boolean wantHidden) {
        add(token, position, blockTable, wantLogits, wantHidden, null);
    }

    /** Adds a row computed with a LoRA {@code adapter} over the base weights (null: the base alone). */
    public void add(int token, int position, int[] blockTable, boolean wantLogits, boolean wantHidden, LoraAdapter adapter) {
        if (size == tokens.length) {
            int n = size * 2;
            tokens = Arrays.copyOf(tokens, n);
            positions = Arrays.copyOf(positions, n);
            tables = Arrays.copyOf(tables, n);
            logits = Arrays.copyOf(logits, n);
            hidden = Arrays.copyOf(hidden, n);
            adapters = Arrays.copyOf(adapters, n);
            adaptedOrder = Arrays.copyOf(adaptedOrder, n);
        }
        tokens[size] = token;
        positions[size] = position;
        tables[size] = blockTable;
        logits[size] = wantLogits;
        hidden[size] = wantHidden;
        adapters[size] = adapter;
        if (adapter != null) adaptedRows++;
        if (wantLogits) logitRows++;
        if (wantHidden) hiddenRows++;
        size++;
    }

    /**
     * Fills {@link #adaptedOrder} with the adapted rows, those of one adapter next to each other (in order of first
     * appearance, rows in row order), so a matrix product reads each adapter's weights once per segment.
     */
    void groupByAdapter() {
        int placed = 0;
        for (int t = 0; t < size && placed < adaptedRows; t++) {
            LoraAdapter a = adapters[t];
            if (a == null || (t > 0 && adapters[t - 1] == a) || isPlaced(a, placed)) continue; // checked at run starts only
            for (int r = t; r < size; r++) if (adapters[r] == a) adaptedOrder[placed++] = r;
        }
    }

    private boolean isPlaced(LoraAdapter a, int placed) {
        for (int i = 0; i < placed; i++) if (adapters[adaptedOrder[i]] == a) return true;
        return false;
    }

    public int size() { return size; }
    public int logitRows() { return logitRows; }
    public int hiddenRows() { return hiddenRows; }
    /** Rows computed with a LoRA adapter. */
    public int adaptedRows() { return adaptedRows; }
}
