package dev.parley.inference.jmh;

import dev.parley.inference.constrain.CompiledGrammar;
import dev.parley.inference.constrain.Grammars;
import dev.parley.inference.constrain.TokenConstraint;
import dev.parley.inference.constrain.TokenMatcher;
import dev.parley.inference.constrain.TokenVocabulary;
import dev.parley.inference.gguf.GgufFile;
import dev.parley.inference.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of constrained decoding per token over a real vocabulary (the oracle models: SentencePiece 32k, Qwen2 152k;
 * found through {@code -Dparley.shared}, default {@code ../shared} from the repository root). The decode trajectory
 * is realistic JSON documents for a schema, tokenized by the model's own tokenizer.
 * <ul>
 * <li>{@code maskWalk}: one mask computed by the token-trie walk, no mask cache (automaton transitions warm): the
 *     price of a cache miss.</li>
 * <li>{@code decodeStep}: what a decode step pays: {@code allowedTokens} (from the mask cache when the state was seen
 *     before) plus {@code accept}, cycling over the documents with one shared constraint, as a server would.</li>
 * </ul>
 * Setup prints the mask-cache hit rate of a first pass over the documents (each seen once: a cold cache, the
 * pessimistic figure) and of a second pass. Run: {@code inference/jmh.sh ConstraintBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ConstraintBench {
    static final String SCHEMA = """
            {"type": "object", "properties": {
               "name": {"type": "string"}, "age": {"type": "integer"},
               "email": {"type": "string", "pattern": "^[a-z.]+@[a-z]+\\\\.(com|org|net)$"},
               "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"},
                  "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}, "required": ["street", "city", "zip"],
                  "additionalProperties": false},
               "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
               "status": {"enum": ["active", "inactive", "pending"]},
               "score": {"anyOf": [{"type": "number"}, {"type": "null"}]}},
             "required": ["name", "age", "email", "address", "tags", "status", "score"], "additionalProperties": false}
            """;
    static final List<String> DOCUMENTS = List.of(
            "{\"name\": \"Ada Lovelace\", \"age\": 36, \"email\": \"ada@analytical.org\", "
                    + "\"address\": {\"street\": \"12 St James's Square\", \"city\": \"London\", \"zip\": \"10001\"}, "
                    + "\"tags\": [\"mathematics\", \"engines\", \"poetry\"], \"status\": \"active\", \"score\": 97.5}",
            "{\"name\": \"Grace Hopper\", \"age\": 85, \"email\": \"grace.hopper@navy.com\", "
                    + "\"address\": {\"street\": \"1 Navy Yard\", \"city\": \"Arlington\", \"zip\": \"22202\"}, "
                    + "\"tags\": [\"COBOL\", \"compilers\"], \"status\": \"inactive\", \"score\": null}",
            "{\"name\": \"Alan Turing\", \"age\": 41, \"email\": \"alan@bletchley.net\", "
                    + "\"address\": {\"street\": \"Hollymeade, Adlington Road\", \"city\": \"Wilmslow\", "
                    + "\"zip\": \"09125\"}, \"tags\": [\"computability\", \"morphogenesis\", \"cryptanalysis\", "
                    + "\"chess\"], \"status\": \"pending\", \"score\": 1e2}",
            "{\"name\": \"Édith Piaf\", \"age\": 47, \"email\": \"edith@paris.org\", "
                    + "\"address\": {\"street\": \"67 boulevard de Belleville\", \"city\": \"Paris\", "
                    + "\"zip\": \"75020\"}, \"tags\": [\"chanson\", \"«La Vie en rose»\"], \"status\": \"active\", "
                    + "\"score\": -3.25}");

    @Param({"llama-spm-q4_0.gguf", "qwen2-f32.gguf"}) public String model;
    @Param({"schema", "json_object"}) public String grammar;

    private TokenConstraint constraint;
    private final List<TokenMatcher> states = new ArrayList<>();
    private final List<int[]> documents = new ArrayList<>();
    private long[] mask;
    private int next;
    private int document;
    private int position;
    private TokenMatcher decoding;

    @Setup(Level.Trial) public void setUp() {
        Path file = Path.of(System.getProperty("parley.shared", "../shared"), "oracle/models", model);
        if (!Files.exists(file)) throw new IllegalStateException("model not found: " + file + " (set -Dparley.shared)");
        Tokenizer tokenizer;
        try (GgufFile gguf = GgufFile.open(file)) {
            tokenizer = Tokenizer.fromGguf(gguf);
        }
        TokenVocabulary vocabulary = TokenVocabulary.of(tokenizer);
        CompiledGrammar compiled = (grammar.equals("schema") ? Grammars.jsonSchema(SCHEMA) : Grammars.jsonObject()).compile();
        constraint = new TokenConstraint(compiled, vocabulary);
        for (String doc : DOCUMENTS) documents.add(tokenizer.encode(doc, false, false));
        mask = new long[constraint.maskWords()];
        for (int pass = 1; pass <= 2; pass++) {
            TokenConstraint.CacheStats before = constraint.cacheStats();
            int tokens = 0;
            for (int[] ids : documents) {
                TokenMatcher m = constraint.newMatcher();
                for (int id : ids) {
                    if (pass == 1) states.add(m.fork());
                    m.allowedTokens(mask);
                    if ((mask[id >>> 6] >>> id & 1) == 0) throw new IllegalStateException("token " + id + " masked in " + model);
                    m.accept(id);
                    tokens++;
                }
            }
            TokenConstraint.CacheStats after = constraint.cacheStats();
            long hits = after.hits() - before.hits();
            System.out.printf("%n[%s %s] pass %d: %d tokens, mask cache hit rate %.1f%% (%d states cached), vocab %d, trie nodes %d%n",
                    model, grammar, pass, tokens, 100.0 * hits / tokens, after.entries(), vocabulary.size(), vocabulary.trieNodes());
        }
        decoding = constraint.newMatcher();
    }

    @Benchmark public long[] maskWalk() {
        TokenMatcher m = states.get(next);
        next = (next + 1) % states.size();
        return constraint.computeMask(m);
    }

    @Benchmark public long[] decodeStep() {
        int[] ids = documents.get(document);
        decoding.allowedTokens(mask);
        decoding.accept(ids[position++]);
        if (position == ids.length) {
            position = 0;
            document = (document + 1) % documents.size();
            decoding = constraint.newMatcher();
        }
        return mask;
    }
}
