package dev.parley.inference.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Decoding, streaming, special tokens and BOS defaults on the oracle vocabularies. */
class TokenizerBehaviourTest {

    @TestFactory
    Stream<DynamicNode> decodeOfEncodeGivesTheInputBack() {
        // WordPiece lowercases, strips accents and drops whitespace, so only SPM and BPE vocabularies round-trip.
        return OracleVocab.WITH_VECTORS.stream().filter(v -> !v.equals("bert-bge")).map(vocab -> DynamicContainer.dynamicContainer(vocab,
                OracleVocab.inputs(vocab).stream().map(input -> DynamicTest.dynamicTest(OracleVocab.label(input), () -> {
                    Tokenizer t = OracleVocab.tokenizer(vocab);
                    // SentencePiece adds a dummy-prefix space to non-empty text, and decode keeps it (token_to_piece).
                    boolean spm = OracleVocab.SPM.contains(vocab);
                    String expected = spm && !input.isEmpty() ? " " + input : input;
                    assertEquals(expected, t.decode(t.encode(input, false, false)));
                }))));
    }

    @Test
    void storiesEncodesOnceUponATimeLikeLlamaCpp() {
        Tokenizer t = OracleVocab.tokenizer(Shared.path("models/stories260K/stories260K.gguf"));
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, t.encode("Once upon a time", true, false));
        assertEquals("<s> Once upon a time", t.decode(new int[] {1, 403, 407, 261, 378}));
    }

    @Test
    void spmByteFallbackSpellsAnEmojiAsItsFourUtf8Bytes() {
        Tokenizer t = OracleVocab.tokenizer("llama-spm");
        int[] ids = t.encode("🦙", false, false);
        // "▁" then <0xF0> <0x9F> <0xA6> <0x99>: the byte tokens are ids 3..258, i.e. byte + 3.
        assertArrayEquals(new int[] {29871, 0xF0 + 3, 0x9F + 3, 0xA6 + 3, 0x99 + 3}, ids);
        assertArrayEquals(new byte[] {(byte) 0xF0}, t.pieceBytes(0xF0 + 3));
        assertEquals("<0xF0>", t.tokenText(0xF0 + 3));
    }

    @Test
    void streamDecoderHoldsBackAnIncompleteCharacter() {
        Tokenizer t = OracleVocab.tokenizer("llama-spm");
        int[] ids = t.encode("a🦙b 食べ", false, false);
        StreamDecoder stream = t.newStreamDecoder();
        List<String> outputs = new ArrayList<>();
        for (int id : ids) outputs.add(stream.feed(id));
        outputs.add(stream.flush());
        assertEquals(" a🦙b 食べ", String.join("", outputs));
        assertTrue(outputs.stream().noneMatch(s -> s.contains("\uFFFD")), outputs::toString);
        // The emoji's first three byte tokens give nothing; the fourth completes it.
        int first = indexOf(ids, 0xF0 + 3);
        assertEquals(List.of("", "", "", "🦙"), outputs.subList(first, first + 4));
    }

    @Test
    void streamDecoderReplacesBytesThatNeverCompleteACharacter() {
        Tokenizer t = OracleVocab.tokenizer("llama-spm");
        StreamDecoder stream = t.newStreamDecoder();
        assertEquals("", stream.feed(0xE3 + 3)); // lead byte of a 3-byte character
        assertEquals("", stream.feed(0x81 + 3));
        assertEquals("\uFFFDa", stream.feed('a' + 3)); // <0x61> ends the sequence early: one U+FFFD, then "a"
        assertEquals("", stream.feed(0xF0 + 3));
        assertEquals("\uFFFD", stream.flush());
        assertEquals("", stream.flush());
    }

    @Test
    void bpeStreamDecoderJoinsByteLevelPieces() {
        Tokenizer t = OracleVocab.tokenizer("gpt-2");
        String text = "caf\u00e9 \ud83e\udd99 \u5403\u3079\u308b";
        int[] ids = t.encode(text, false, false);
        StreamDecoder stream = t.newStreamDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String s = stream.feed(id);
            assertFalse(s.contains("\uFFFD"), s);
            out.append(s);
        }
        assertEquals(text, out.append(stream.flush()).toString());
    }

    @Test
    void parseSpecialTurnsControlTokenTextIntoTheToken() {
        Tokenizer t = OracleVocab.tokenizer("qwen2");
        assertArrayEquals(new int[] {151644}, t.encode("<|im_start|>", false, true));
        assertTrue(t.encode("<|im_start|>", false, false).length > 1);
        int[] chat = t.encode("<|im_start|>user\nHi<|im_end|>", false, true);
        assertEquals(151644, chat[0]);
        assertEquals(151645, chat[chat.length - 1]);
        assertEquals("<|im_start|>user\nHi<|im_end|>", t.decode(chat));
    }

    @Test
    void endOfGenerationTokens() {
        Tokenizer qwen = OracleVocab.tokenizer("qwen2");
        assertTrue(qwen.isEndOfGeneration(151643)); // <|endoftext|>, also EOS
        assertTrue(qwen.isEndOfGeneration(151645)); // <|im_end|>, by text
        assertFalse(qwen.isEndOfGeneration(151644));
        assertFalse(qwen.isEndOfGeneration(9707));
        Tokenizer llama3 = OracleVocab.tokenizer("llama-bpe");
        assertTrue(llama3.isEndOfGeneration(128001)); // <|end_of_text|> = EOS
        assertTrue(llama3.isEndOfGeneration(128009)); // <|eot_id|>
        assertFalse(llama3.isEndOfGeneration(128000));
        assertFalse(llama3.isEndOfGeneration(-1));
    }

    @Test
    void addBosFollowsTheKeyOrLlamaCppsDefault() {
        Map<String, Boolean> expected = Map.ofEntries(
                Map.entry("llama-spm", true), Map.entry("phi-3", true), Map.entry("llama-bpe", true),
                Map.entry("qwen2", false), Map.entry("gpt-2", false), Map.entry("deepseek-llm", true),
                Map.entry("deepseek-coder", true), Map.entry("falcon", false), Map.entry("mpt", false),
                Map.entry("refact", false), Map.entry("starcoder", false));
        expected.forEach((vocab, addBos) -> {
            Tokenizer t = OracleVocab.tokenizer(vocab);
            assertEquals(addBos, t.addBos(), vocab);
            int[] ids = t.encode("Hello", true, false);
            assertEquals(addBos, ids.length > 0 && ids[0] == t.bosId(), vocab);
        });
        assertEquals(128000, OracleVocab.tokenizer("llama-bpe").bosId());
        assertEquals(151643, OracleVocab.tokenizer("qwen2").eosId());
    }

    @Test
    void wordPieceWrapsTheInputInClsAndSep() {
        Tokenizer bert = OracleVocab.tokenizer("bert-bge");
        int[] ids = bert.encode("Hello world", true, false);
        assertArrayEquals(new int[] {101, 7592, 2088, 102}, ids);
        assertEquals("[CLS] hello world[SEP]", bert.decode(ids));
    }

    @Test
    void emptyTextGivesOnlyTheSpecialTokens() {
        assertArrayEquals(new int[0], OracleVocab.tokenizer("llama-spm").encode("", false, false));
        assertArrayEquals(new int[] {1}, OracleVocab.tokenizer("llama-spm").encode("", true, false));
    }

    @Test
    void pieceBytesFollowTheTokenKind() {
        Tokenizer gpt2 = OracleVocab.tokenizer("gpt-2");
        int hello = gpt2.encode(" Hello", false, false)[0];
        assertEquals("\u0120Hello", gpt2.tokenText(hello));
        assertEquals(" Hello", new String(gpt2.pieceBytes(hello), java.nio.charset.StandardCharsets.UTF_8));
        Tokenizer spm = OracleVocab.tokenizer("llama-spm");
        assertEquals("<s>", spm.decode(new int[] {1}));
        assertEquals(" Hello", spm.decode(new int[] {15043}));
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) if (values[i] == value) return i;
        throw new AssertionError(value + " not found");
    }
}
