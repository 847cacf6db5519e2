package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tensor.GgmlType;
import dev.parley.inference.testing.Shared;
import dev.parley.inference.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learned vocabulary, written to GGUF, makes the engine's tokenizer produce exactly the trainer's ids. */
class BpeVocabularyTest {
    @TempDir Path dir;

    private Tokenizer engineTokenizer(BpeVocabulary vocab) {
        Llama tiny = new Llama(new LlamaConfig(vocab.size(), 32, 1, 2, 1, 32, 16), 1);
        Path file = dir.resolve("vocab.gguf");
        GgufExport.write(tiny, vocab, GgmlType.F32, "tok-test", file);
        return Tokenizer.fromGguf(GgufFile.open(file));
    }

    @Test void engineReproducesTrainerIdsOnKjv() throws Exception {
        String text = Files.readString(Shared.path("corpora/kjv/kjv.txt"));
        String train = text.substring(0, 400_000), held = text.substring(2_000_000, 2_100_000);
        BpeVocabulary vocab = BpeVocabulary.train(train, 1024, false);
        assertEquals(1024, vocab.size());
        Tokenizer engine = engineTokenizer(vocab);
        for (String s : new String[] {train.substring(0, 100_000), held}) {
            int[] ids = vocab.encode(s);
            assertArrayEquals(ids, engine.encode(s, true, false));
            assertEquals(s, vocab.decode(ids));
            assertEquals(s, engine.decode(ids));
            assertTrue(ids.length < s.length() / 2.5, "merges compress the text: " + ids.length + " tokens for " + s.length() + " chars");
        }
    }

    @Test void unusualTextRoundTrips() {
        String corpus = "the cat's hat, the cat's mat; 12345 cats\n\n  héllo wörld — naïve 日本語 tabs\tand\r\nCRLF ".repeat(30);
        BpeVocabulary vocab = BpeVocabulary.train(corpus, 300, false);
        Tokenizer engine = engineTokenizer(vocab);
        String probe = "  The cat's 99 ÜBER-hats\n\t日本 ok?? ";
        assertArrayEquals(vocab.encode(probe), engine.encode(probe, true, false));
        assertArrayEquals(vocab.encode(corpus), engine.encode(corpus, true, false));
        assertEquals(probe, vocab.decode(vocab.encode(probe)));
    }

    @Test void charLevelHasOneTokenPerByte() {
        String corpus = "First Citizen:\nBefore we proceed any further, hear me speak.\n";
        BpeVocabulary vocab = BpeVocabulary.train(corpus, 1000, true);
        assertEquals(corpus.chars().distinct().count() + 1, vocab.size());
        int[] ids = vocab.encode(corpus);
        assertEquals(corpus.length(), ids.length);
        assertArrayEquals(ids, engineTokenizer(vocab).encode(corpus, true, false));
    }
}
