package dev.parley.inference.constrain;

import dev.parley.inference.tokenizer.IntList;
import dev.parley.inference.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The model's vocabulary as constrained decoding sees it: the bytes of every text token, arranged in a token trie,
 * and the end-of-generation ids. Control, unknown and unused tokens, and tokens that render as no bytes, are never
 * allowed. Built once per tokenizer (it walks the whole vocabulary) and shared by every grammar and sequence.
 *
 * <p>The trie is stored flat in depth-first order: node {@code i} is reached by byte {@code edgeByte[i]} from its
 * parent at depth {@code depth[i] - 1}, and its subtree ends before {@code subtreeEnd[i]}, so a mask walk is one
 * forward scan that jumps over a subtree as soon as the grammar rejects its prefix (xgrammar's sorted-vocabulary
 * walk). Tokens with equal bytes share a node.
 */
public final class TokenVocabulary {
    private final int size;
    private final byte[][] pieces;
    private final boolean[] allowedAsText;
    private final int[] endOfGeneration;
    final byte[] edgeByte;
    final int[] depth;
    final int[] subtreeEnd;
    /** Tokens ending at trie node {@code i} are {@code trieTokens[tokenStart[i] .. tokenStart[i + 1])}. */
    final int[] tokenStart;
    final int[] trieTokens;
    final int maxDepth;

    private TokenVocabulary(int size, byte[][] pieces, boolean[] allowedAsText, int[] endOfGeneration) {
        this.size = size;
        this.pieces = pieces;
        this.allowedAsText = allowedAsText;
        this.endOfGeneration = endOfGeneration;
        Integer[] order = new Integer[size];
        int textCount = 0;
        for (int id = 0; id < size; id++) if (allowedAsText[id]) order[textCount++] = id;
        Integer[] sorted = Arrays.copyOf(order, textCount);
        Arrays.sort(sorted, (a, b) -> Arrays.compareUnsigned(pieces[a], pieces[b]));

        IntList bytes = new IntList();
        IntList depths = new IntList();
        IntList starts = new IntList();
        IntList tokens = new IntList();
        int openDepth = 0; // the path of the previous token is open in the trie
        int deepest = 0;
        byte[] previous = new byte[0];
        for (int id : sorted) {
            byte[] piece = pieces[id];
            int common = Arrays.mismatch(previous, piece);
            if (common < 0) common = piece.length; // same bytes as the previous token
            common = Math.min(common, openDepth);
            for (int d = common; d < piece.length; d++) {
                bytes.add(piece[d] & 0xFF);
                depths.add(d + 1);
                starts.add(tokens.size());
            }
            openDepth = piece.length;
            deepest = Math.max(deepest, piece.length);
            tokens.add(id); // ends at the node of its last byte, which is the last node created or the shared one
            previous = piece;
        }
        int nodes = bytes.size();
        edgeByte = new byte[nodes];
        depth = depths.toArray();
        for (int i = 0; i < nodes; i++) edgeByte[i] = (byte) bytes.get(i);
        // Subtree ends: the next node at the same or a smaller depth.
        subtreeEnd = new int[nodes];
        int[] stack = new int[deepest + 2];
        int top = 0;
        for (int i = 0; i < nodes; i++) {
            while (top > 0 && depth[stack[top - 1]] >= depth[i]) subtreeEnd[stack[--top]] = i;
            stack[top++] = i;
        }
        while (top > 0) subtreeEnd[stack[--top]] = nodes;
        tokenStart = Arrays.copyOf(starts.toArray(), nodes + 1);
        tokenStart[nodes] = tokens.size();
        trieTokens = tokens.toArray();
        maxDepth = deepest;
    }

    /** The vocabulary of a model's tokenizer. */
    public static TokenVocabulary of(Tokenizer tokenizer) {
        int n = tokenizer.vocabSize();
        byte[][] pieces = new byte[n][];
        boolean[] text = new boolean[n];
        IntList eog = new IntList();
        for (int id = 0; id < n; id++) {
            pieces[id] = tokenizer.pieceBytes(id);
            if (tokenizer.isEndOfGeneration(id)) {
                eog.add(id);
            } else {
                text[id] = tokenizer.isText(id) && pieces[id].length > 0;
            }
        }
        return new TokenVocabulary(n, pieces, text, eog.toArray());
    }

    /** A vocabulary from raw pieces (tests and tools): every non-empty piece is text; {@code eog} ends generation. */
    public static TokenVocabulary ofPieces(byte[][] pieces, int... endOfGeneration) {
        boolean[] text = new boolean[pieces.length];
        for (int id = 0; id < pieces.length; id++) text[id] = pieces[id].length > 0;
        for (int id : endOfGeneration) text[id] = false;
        return new TokenVocabulary(pieces.length, pieces.clone(), text, endOfGeneration.clone());
    }

    public int size() {
        return size;
    }

    /** The bytes of a token (do not modify). */
    public byte[] piece(int id) {
        return pieces[id];
    }

    /** Whether the token is text that a grammar may allow (not control/unused, not empty, not end-of-generation). */
    public boolean isText(int id) {
        return allowedAsText[id];
    }

    public boolean isEndOfGeneration(int id) {
        for (int e : endOfGeneration) if (e == id) return true;
        return false;
    }

    int[] endOfGenerationIds() {
        return endOfGeneration;
    }

    /** Number of trie nodes (a size figure for benchmarks). */
    public int trieNodes() {
        return edgeByte.length;
    }
}
