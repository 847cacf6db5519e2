package dev.parley.inference.tokenizer;

import dev.parley.inference.gguf.GgufFile;

/**
 * Text to token ids and back, as llama.cpp (src/llama-vocab.cpp, Feb 2025) does it for the vocabulary stored in a GGUF
 * file. Implementations are immutable and safe to share between threads; stream decoders are not.
 */
public interface Tokenizer {

    /**
     * The tokenizer named by {@code tokenizer.ggml.model}: {@code "llama"} (SentencePiece-style BPE over scores with
     * byte fallback), {@code "gpt2"} (byte-level BPE over merges, pre-tokenized by {@code tokenizer.ggml.pre}) or
     * {@code "bert"} (WordPiece). Anything else is a {@link dev.parley.inference.gguf.GgufException}.
     */
    static Tokenizer fromGguf(GgufFile file) {
        if (!file.has("tokenizer.ggml.model")) throw file.error("no tokenizer: key tokenizer.ggml.model is missing");
        String model = file.getString("tokenizer.ggml.model");
        switch (model) {
            case "llama" -> {
                return new SpmTokenizer(Vocabulary.fromGguf(file, model, true));
            }
            case "gpt2" -> {
                String pre = file.getString("tokenizer.ggml.pre", "");
                if (pre.isEmpty()) pre = "default"; // llama.cpp's fallback for older files
                PreTokenizer preTokenizer = PreTokenizer.forName(pre);
                if (preTokenizer == null) throw file.error("unsupported tokenizer: pre-tokenizer '" + pre + "' (tokenizer.ggml.pre) is not known");
                if (!file.has("tokenizer.ggml.merges")) throw file.error("BPE tokenizer without merges: key tokenizer.ggml.merges is missing");
                Vocabulary vocab = Vocabulary.fromGguf(file, model, preTokenizer.addsBosByDefault());
                return new BpeTokenizer(vocab, preTokenizer, file.getStringArray("tokenizer.ggml.merges"));
            }
            case "bert" -> {
                Vocabulary vocab = Vocabulary.fromGguf(file, model, true);
                return new WpmTokenizer(vocab, vocab.cls, vocab.sep);
            }
            default -> throw file.error("unsupported tokenizer: tokenizer.ggml.model '" + model + "' (only 'llama', 'gpt2' and 'bert' are supported)");
        }
    }

    /**
     * The token ids of {@code text}. {@code addSpecial} adds BOS / EOS as the vocabulary asks (add_bos_token /
     * add_eos_token, with llama.cpp's defaults when absent). {@code parseSpecial} turns the text of CONTROL tokens in the
     * input (e.g. {@code <|im_start|>}) into those tokens; USER_DEFINED tokens are always matched, as in llama.cpp.
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The concatenated {@link #pieceBytes} of the ids, as UTF-8 with invalid sequences replaced by U+FFFD. Like
     * llama.cpp's token_to_piece with {@code special = true}: control tokens render as their text. The SentencePiece
     * dummy-prefix space is kept (llama.cpp's token_to_piece does not strip it either).
     */
    String decode(int[] ids);

    /**
     * The bytes one token stands for (llama.cpp's token_to_piece with {@code special = true}): SentencePiece '▁'
     * becomes ' ' and {@code <0xNN>} the byte; byte-level BPE text is mapped back to bytes; CONTROL, UNKNOWN and
     * USER_DEFINED tokens give their text; UNUSED and UNDEFINED tokens give nothing.
     */
    byte[] pieceBytes(int id);

    /** A decoder that turns ids fed one at a time into text, holding back incomplete UTF-8 sequences. */
    default StreamDecoder newStreamDecoder() {
        return new StreamDecoder(this);
    }

    int vocabSize();

    /**
     * -1 when the vocabulary has none. When the key is absent llama.cpp's default applies if it is a valid id: 1 for
     * SPM, 11 for BPE, none for WordPiece (which adds [CLS] instead).
     */
    int bosId();

    /** -1 when the vocabulary has none. When the key is absent: 2 for SPM, 11 for BPE, none for WordPiece. */
    int eosId();

    /** Whether {@code encode(.., addSpecial = true, ..)} starts with BOS ([CLS] for WordPiece). */
    boolean addBos();

    /** EOS, EOT, EOM and the tokens llama.cpp treats as end-of-generation by their text ({@code <|im_end|>}, ...). */
    boolean isEndOfGeneration(int id);

    /**
     * Whether the token stands for text a model writes: NORMAL, BYTE and USER_DEFINED tokens (the last are matched in
     * any input text, so they are text too), as opposed to CONTROL, UNKNOWN, UNUSED and UNDEFINED markers. Constrained
     * decoding only ever allows these, plus end-of-generation once the grammar is complete.
     */
    boolean isText(int id);

    /** The raw vocabulary string of a token. */
    String tokenText(int id);
}
