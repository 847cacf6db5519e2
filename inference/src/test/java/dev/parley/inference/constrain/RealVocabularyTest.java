package dev.parley.inference.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.testing.Shared;
import dev.parley.inference.tokenizer.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Constrained decoding over real vocabularies (the oracle models: SentencePiece 32k, Qwen2 byte-level BPE 152k):
 * random walks that only ever pick allowed tokens end in output that validates, masks equal a brute-force check of
 * every token against the byte-level recognizer, and valid texts tokenized by the model's own tokenizer only use
 * allowed tokens.
 */
class RealVocabularyTest {
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();
    private static final Map<String, TokenVocabulary> VOCABULARIES = new ConcurrentHashMap<>();
    private static final List<String> SCHEMAS = List.of(JsonSchemaReferenceTest.PERSON, JsonSchemaReferenceTest.TREE,
            JsonSchemaReferenceTest.CHOICES);

    static Tokenizer tokenizer(String model) {
        return TOKENIZERS.computeIfAbsent(model, m -> {
            try (GgufFile file = GgufFile.open(Shared.path("oracle/models/" + m))) {
                return Tokenizer.fromGguf(file);
            }
        });
    }

    static TokenVocabulary vocabulary(String model) {
        return VOCABULARIES.computeIfAbsent(model, m -> TokenVocabulary.of(tokenizer(m)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm-q4_0.gguf", "qwen2-f32.gguf"})
    void randomWalksOverAllowedTokensProduceValidJsonAndMasksMatchBruteForce(String model) {
        Tokenizer tokenizer = tokenizer(model);
        TokenVocabulary vocabulary = vocabulary(model);
        Random random = new Random(model.hashCode());
        int bruteForceChecks = 0;
        int finished = 0;
        List<String> schemas = new ArrayList<>(SCHEMAS);
        schemas.add(null); // json_object
        for (String schema : schemas) {
            CompiledGrammar grammar = (schema == null ? Grammars.jsonObject() : Grammars.jsonSchema(schema)).compile();
            JsonReference reference = new JsonReference(schema);
            TokenConstraint constraint = new TokenConstraint(grammar, vocabulary);
            for (int walk = 0; walk < 4; walk++) {
                TokenMatcher matcher = constraint.newMatcher();
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                for (int step = 0; step < 120 && !matcher.hasEnded(); step++) {
                    BitSet allowed = matcher.allowedTokens();
                    assertFalse(allowed.isEmpty(), "no token allowed after " + text);
                    if (step % 20 == walk % 5 && bruteForceChecks < 24) {
                        assertEquals(bruteForce(tokenizer, grammar, matcher.state()), allowed, () -> "mask after " + text);
                        bruteForceChecks++;
                    }
                    int token = pick(allowed, vocabulary, random, step);
                    assertTrue(matcher.isAllowed(token));
                    matcher.accept(token);
                    if (!matcher.hasEnded()) text.writeBytes(vocabulary.piece(token));
                    GrammarParser check = grammar.newParser();
                    assertTrue(check.advance(text.toByteArray()), () -> "not a valid prefix: " + text);
                }
                if (matcher.hasEnded()) {
                    finished++;
                    String output = text.toString(StandardCharsets.UTF_8);
                    assertTrue(reference.valid(output), () -> "finished output does not validate: " + output);
                }
            }
        }
        assertTrue(finished >= 6, "only " + finished + " walks finished");
        assertTrue(bruteForceChecks >= 20, "only " + bruteForceChecks + " brute-force checks");
    }

    /** Prefers short punctuation and digit tokens (they close values) and ends as soon as it may, half the time. */
    private static int pick(BitSet allowed, TokenVocabulary vocabulary, Random random, int step) {
        int eos = -1;
        List<Integer> closers = new ArrayList<>();
        List<Integer> all = new ArrayList<>();
        for (int id = allowed.nextSetBit(0); id >= 0; id = allowed.nextSetBit(id + 1)) {
            if (vocabulary.isEndOfGeneration(id)) {
                eos = id;
                continue;
            }
            all.add(id);
            if (closing(vocabulary.piece(id))) closers.add(id);
        }
        if (eos >= 0 && (all.isEmpty() || random.nextBoolean())) return eos;
        boolean shortPick = !closers.isEmpty() && (step > 40 || random.nextBoolean());
        List<Integer> from = shortPick ? closers : all;
        return from.get(random.nextInt(from.size()));
    }

    /** Short punctuation and digit tokens: what closes strings, numbers, objects and arrays. */
    private static boolean closing(byte[] piece) {
        if (piece.length > 2) return false;
        for (byte b : piece) if (Character.isLetter(b) || b < 0) return false;
        return true;
    }

    /** Every token whose bytes keep the text a viable prefix, decided token by token with the tokenizer's own types. */
    static BitSet bruteForce(Tokenizer tokenizer, CompiledGrammar grammar, ParseState state) {
        BitSet out = new BitSet();
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.isEndOfGeneration(id)) {
                if (state.isAccepting()) out.set(id);
                continue;
            }
            byte[] piece = tokenizer.pieceBytes(id);
            if (!tokenizer.isText(id) || piece.length == 0) continue;
            if (new GrammarParser(grammar, state).advance(piece)) out.set(id);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm-q4_0.gguf", "qwen2-f32.gguf"})
    void regexGbnfAndChoiceWalksMatchBruteForceAndTheirReference(String model) {
        Tokenizer tokenizer = tokenizer(model);
        TokenVocabulary vocabulary = vocabulary(model);
        Random random = new Random(model.hashCode() + 5);
        java.util.regex.Pattern email = java.util.regex.Pattern.compile("[a-z]{1,8}@[a-z]{1,8}\\.(com|org)");
        List<String> choices = List.of("yes", "no", "maybe not", "né");
        Map<CompiledGrammar, java.util.function.Predicate<String>> cases = Map.of(
                Grammars.regex(email.pattern()).compile(), s -> email.matcher(s).matches(),
                Grammars.gbnf(GbnfReferenceTest.ARITHMETIC).compile(), s -> new GbnfReferenceTest.Arithmetic(s).valid(),
                Grammars.choice(choices).compile(), choices::contains);
        int finished = 0;
        for (Map.Entry<CompiledGrammar, java.util.function.Predicate<String>> c : cases.entrySet()) {
            TokenConstraint constraint = new TokenConstraint(c.getKey(), vocabulary);
            for (int walk = 0; walk < 4; walk++) {
                TokenMatcher matcher = constraint.newMatcher();
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                for (int step = 0; step < 40 && !matcher.hasEnded(); step++) {
                    BitSet allowed = matcher.allowedTokens();
                    if (step < 3) assertEquals(bruteForce(tokenizer, c.getKey(), matcher.state()), allowed, () -> "mask after " + text);
                    int token = pick(allowed, vocabulary, random, step + 30);
                    matcher.accept(token);
                    if (!matcher.hasEnded()) text.writeBytes(vocabulary.piece(token));
                }
                if (matcher.hasEnded()) {
                    finished++;
                    String output = text.toString(StandardCharsets.UTF_8);
                    assertTrue(c.getValue().test(output), () -> "finished output is not in the language: " + output);
                }
            }
        }
        assertTrue(finished >= 6, "only " + finished + " walks finished");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm-q4_0.gguf", "qwen2-f32.gguf"})
    void validJsonTokenizedByTheModelUsesOnlyAllowedTokens(String model) {
        Tokenizer tokenizer = tokenizer(model);
        TokenVocabulary vocabulary = vocabulary(model);
        int checked = 0;
        for (String schema : SCHEMAS) {
            CompiledGrammar grammar = Grammars.jsonSchema(schema).compile();
            TokenConstraint constraint = new TokenConstraint(grammar, vocabulary);
            RandomText sampler = new RandomText(grammar, new Random(schema.hashCode() + 1), "");
            int perSchema = 0;
            for (int i = 0; i < 200 && perSchema < 15; i++) {
                // without leading whitespace: SentencePiece adds its own space in front
                String text = sampler.walk(300, 0.9).stripLeading();
                if (!grammar.matches(text)) continue;
                int[] ids = tokenizer.encode(text, false, false);
                TokenMatcher matcher = constraint.newMatcher();
                for (int k = 0; k < ids.length; k++) {
                    int id = ids[k];
                    assertTrue(matcher.isAllowed(id), () -> "token " + id + " of " + text + " is not allowed");
                    if (k % 4 == 0) assertTrue(matcher.allowedTokens().get(id), () -> "token " + id + " of " + text + " was masked");
                    matcher.accept(id);
                }
                assertTrue(matcher.isComplete(), text);
                checked++;
                perSchema++;
            }
        }
        assertTrue(checked >= 40, "only " + checked + " texts checked");
    }
}
