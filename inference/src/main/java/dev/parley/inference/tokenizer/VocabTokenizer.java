package dev.parley.inference.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * What SentencePiece-style and byte-level BPE tokenizers share: special tokens, BOS/EOS, and rendering tokens as bytes.
 * Subclasses tokenize plain text fragments and map their NORMAL (and BYTE) tokens to bytes.
 */
abstract class VocabTokenizer implements Tokenizer {
    protected final Vocabulary vocab;
    private final SpecialTokenSplitter splitter;

    VocabTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.splitter = new SpecialTokenSplitter(vocab);
    }

    /**
     * Appends the tokens of one fragment of plain text. {@code afterSpecial} is true for the first fragment and for
     * one that follows a special token (SentencePiece adds its dummy-prefix space only there).
     */
    protected abstract void encodeText(String text, boolean afterSpecial, IntList out);

    /** The bytes of a NORMAL or BYTE token. */
    protected abstract byte[] ordinaryPieceBytes(int id, TokenType type);

    @Override public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList();
        if (addSpecial && vocab.addBos && vocab.bos >= 0) out.add(vocab.bos);
        boolean afterSpecial = true;
        if (!text.isEmpty()) {
            for (SpecialTokenSplitter.Fragment f : splitter.split(text, parseSpecial)) {
                if (f.isToken()) {
                    out.add(f.token());
                    afterSpecial = true;
                } else {
                    encodeText(f.text(), afterSpecial, out);
                    afterSpecial = false;
                }
            }
        }
        if (addSpecial && vocab.addEos && vocab.eos >= 0) out.add(vocab.eos);
        return out.toArray();
    }

    @Override public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) bytes.writeBytes(pieceBytes(id));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override public byte[] pieceBytes(int id) {
        checkId(id);
        TokenType type = vocab.types[id];
        return switch (type) {
            case CONTROL, UNKNOWN, USER_DEFINED -> vocab.texts[id].getBytes(StandardCharsets.UTF_8);
            case NORMAL, BYTE -> ordinaryPieceBytes(id, type);
            case UNUSED, UNDEFINED -> new byte[0];
        };
    }

    @Override public int vocabSize() { return vocab.size(); }
    @Override public int bosId() { return vocab.bos; }
    @Override public int eosId() { return vocab.eos; }
    @Override public boolean addBos() { return vocab.addBos; }

    @Override public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < vocab.size() && vocab.eog[id];
    }

    @Override public boolean isText(int id) {
        checkId(id);
        TokenType type = vocab.types[id];
        return type == TokenType.NORMAL || type == TokenType.BYTE || type == TokenType.USER_DEFINED;
    }

    @Override public String tokenText(int id) {
        checkId(id);
        return vocab.texts[id];
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (size " + vocab.size() + ")");
    }
}
