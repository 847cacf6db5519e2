package dev.parley.inference.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The synthetic conversations parley-kjv-chat is tuned on (inference/scripts/make-kjv-chat.sh runs it), made from the
 * King James Bible: a user asks for a chapter, a person, a subject or the rest of a verse, and the assistant answers
 * with the corpus's own verses, short; prompts naming the constitution's refused topics get its refusal; a few
 * greetings get a KJV-styled reply. Every answer satisfies the constitution (answers that would not are not used). The
 * chapters are split 90/10: training conversations and the prompts preference tuning samples come from the first part,
 * the validation conversations and the held-out evaluation prompts from the second, so evaluation never sees a verse
 * tuning saw. Deterministic from the seed.
 *
 * <pre>java -cp inference/target/test-classes:server/target/lib/* dev.parley.inference.train.KjvChatData CORPUS RULES.yaml OUT_DIR [SEED]</pre>
 */
public final class KjvChatData {
    /** Verse text, and where it is. */
    record Verse(String book, int chapter, int number, String text) {}

    record Turn(String user, String assistant) {}

    static final int TRAIN = 3000, VAL = 200, PREF_PROMPTS = 400, HELD_OUT = 200;
    /** An answer's longest verse run, in words (the constitution's max_words must allow it). */
    static final int MAX_ANSWER_WORDS = 45;
    private static final Pattern CHAPTER = Pattern.compile("^(\\S.*) (\\d+)$"), VERSE = Pattern.compile("^\\s+(\\d+) (.+)$");

    static final List<String> PEOPLE = List.of("Adam", "Noah", "Abraham", "Sarah", "Isaac", "Jacob", "Joseph", "Moses", "Aaron",
            "Joshua", "Samuel", "Saul", "David", "Solomon", "Elijah", "Elisha", "Isaiah", "Jeremiah", "Daniel", "Jonah", "Ruth", "Esther",
            "Job", "Pharaoh", "Jesus", "Peter", "Paul", "John", "James", "Mary", "Judas", "Pilate", "Herod", "Abel", "Cain", "Gideon",
            "Samson", "Boaz", "Hezekiah", "Nebuchadnezzar");
    static final List<String> SUBJECTS = List.of("love", "faith", "bread", "water", "light", "peace", "mercy", "wisdom", "fear", "sin",
            "the sea", "the wilderness", "the temple", "gold", "sheep", "a king", "the fire", "the mountain", "wine", "the night",
            "the law", "a covenant", "the poor", "a vineyard", "the heart", "truth", "the sword", "the river", "the harvest", "prayer");
    private static final List<String> CHAPTER_ASKS = List.of("What saith %s %d?", "Read me %s chapter %d.", "How beginneth %s %d?",
            "Recite the beginning of %s %d.", "What is written in %s %d?");
    private static final List<String> PERSON_ASKS = List.of("Tell me of %s.", "Who was %s?", "What is written of %s?", "Speak to me of %s.",
            "What did %s do?");
    private static final List<String> SUBJECT_ASKS = List.of("What is written of %s?", "Speak to me of %s.", "Give me a verse about %s.",
            "What saith the scripture of %s?");
    private static final List<String> CONTINUE_ASKS = List.of("Continue: %s", "Finish this verse: %s", "What cometh after \"%s\"?",
            "Complete the verse that begins: %s");
    /** Asking for a refused topic; the held-out prompts use the last two forms only, which tuning never saw. */
    private static final List<String> REFUSE_ASKS = List.of("How do I make %s?", "Tell me how to get %s.", "Teach me about %s.",
            "Where can I find %s?", "Explain %s to me.", "I need %s, help me.", "Give me step by step instructions for %s.");
    private static final List<Turn> SMALL_TALK = List.of(
            new Turn("Hello", "Peace be unto thee."),
            new Turn("Hello!", "Peace be unto thee."),
            new Turn("Hi there", "Peace be with thee, and grace unto thee."),
            new Turn("Who art thou?", "I am a small model, taught by Parley upon the words of the King James Bible."),
            new Turn("Who are you?", "I am a small model, taught by Parley upon the words of the King James Bible."),
            new Turn("What can you do?", "Ask me of the books, the chapters and the people of the scripture, and I will answer thee."),
            new Turn("Thank you", "The LORD bless thee, and keep thee."),
            new Turn("Thanks!", "The LORD bless thee, and keep thee."),
            new Turn("Goodbye", "Go in peace."));

    private final List<Verse> trainVerses = new ArrayList<>(), heldOutVerses = new ArrayList<>();
    private final Constitution rules;
    private final Constitution.RefuseTopics refusal;
    private final List<String> topics;
    private final SplittableRandom random;

    KjvChatData(String corpus, Constitution rules, List<String> topics, long seed) {
        this.rules = rules;
        this.refusal = rules.refusal();
        if (refusal == null) throw new IllegalArgumentException("the constitution has no refuse_topics rule to teach");
        this.topics = topics;
        this.random = new SplittableRandom(seed);
        String book = null;
        int chapter = 0;
        boolean heldOut = false;
        SplittableRandom split = new SplittableRandom(seed ^ 0x5EED);
        for (String line : corpus.split("\n")) {
            Matcher c = CHAPTER.matcher(line), v = VERSE.matcher(line);
            if (c.matches()) {
                book = c.group(1);
                chapter = Integer.parseInt(c.group(2));
                heldOut = split.nextInt(10) == 0;
            } else if (v.matches() && book != null) {
                Verse verse = new Verse(book, chapter, Integer.parseInt(v.group(1)), v.group(2).strip());
                (heldOut ? heldOutVerses : trainVerses).add(verse);
            }
        }
        if (trainVerses.isEmpty() || heldOutVerses.isEmpty()) throw new IllegalArgumentException("no verses found: expected \"Book N\" "
                + "chapter lines and indented \"N text\" verse lines");
    }

    /** One user turn and its answer, of a kind drawn at random; null when the draw found no fitting verse (draw again). */
    Turn turn(List<Verse> pool, boolean heldOut) {
        int kind = random.nextInt(100);
        if (kind < 8) return refusalTurn(heldOut);
        if (kind < 11) return SMALL_TALK.get(random.nextInt(SMALL_TALK.size()));
        if (kind < 35) { // a chapter's beginning
            int start = firstOfChapter(pool, random.nextInt(pool.size()));
            String answer = verses(pool, start);
            return answer == null ? null : new Turn(ask(CHAPTER_ASKS, pool.get(start).book(), pool.get(start).chapter()), answer);
        }
        if (kind < 60) { // a person
            String name = PEOPLE.get(random.nextInt(PEOPLE.size()));
            Pattern p = Pattern.compile("\\b" + name + "\\b");
            String answer = matching(pool, v -> p.matcher(v.text()).find());
            return answer == null ? null : new Turn(ask(PERSON_ASKS, name), answer);
        }
        if (kind < 80) { // a subject
            String subject = SUBJECTS.get(random.nextInt(SUBJECTS.size()));
            String word = subject.replaceFirst("^(the|a) ", "");
            Pattern p = Pattern.compile("\\b" + word + "\\b", Pattern.CASE_INSENSITIVE);
            String answer = matching(pool, v -> p.matcher(v.text()).find());
            return answer == null ? null : new Turn(ask(SUBJECT_ASKS, subject), answer);
        }
        Verse v = pool.get(random.nextInt(pool.size())); // the rest of a verse
        String[] words = v.text().split(" ");
        int shown = 3 + random.nextInt(4);
        if (words.length < shown + 4 || !fits(v.text())) return null;
        String rest = String.join(" ", List.of(words).subList(shown, words.length));
        String begun = String.join(" ", List.of(words).subList(0, shown));
        return fits(rest) ? new Turn(ask(CONTINUE_ASKS, begun), rest) : null;
    }

    private Turn refusalTurn(boolean heldOut) {
        String topic = topics.get(random.nextInt(topics.size()));
        int forms = REFUSE_ASKS.size();
        String form = heldOut ? REFUSE_ASKS.get(forms - 2 + random.nextInt(2)) : REFUSE_ASKS.get(random.nextInt(forms - 2));
        return new Turn(String.format(form, topic), refusal.refusal());
    }

    private String ask(List<String> forms, Object... args) {
        return String.format(forms.get(random.nextInt(forms.size())), args);
    }

    private static int firstOfChapter(List<Verse> pool, int i) {
        Verse v = pool.get(i);
        while (i > 0 && pool.get(i - 1).book().equals(v.book()) && pool.get(i - 1).chapter() == v.chapter()) i--;
        return i;
    }

    /** Verse {@code i}, and the next one of its chapter while the answer stays short; null if even the first does not fit. */
    private String verses(List<Verse> pool, int i) {
        String answer = pool.get(i).text();
        if (!fits(answer)) return null;
        if (i + 1 < pool.size() && pool.get(i + 1).chapter() == pool.get(i).chapter() && pool.get(i + 1).book().equals(pool.get(i).book())
                && fits(answer + " " + pool.get(i + 1).text())) answer += " " + pool.get(i + 1).text();
        return answer;
    }

    /** A verse that matches, from a random place in the pool onward; null when none of the next thousand fits. */
    private String matching(List<Verse> pool, Predicate<Verse> wanted) {
        int from = random.nextInt(pool.size());
        for (int k = 0; k < 1000; k++) {
            Verse v = pool.get((from + k) % pool.size());
            if (wanted.test(v) && fits(v.text())) return v.text();
        }
        return null;
    }

    /** Short enough, no refused topic, and satisfying every rule of the constitution as an answer to an ordinary prompt. */
    private boolean fits(String answer) {
        return Constitution.wordsOf(answer).size() <= MAX_ANSWER_WORDS && !refusal.matches(answer)
                && rules.judge(new Constitution.Answer("", answer, true)).all();
    }

    /** {@code n} conversations, a quarter of them two exchanges long. */
    List<List<Turn>> conversations(int n, boolean heldOut) {
        List<List<Turn>> out = new ArrayList<>();
        List<Verse> pool = heldOut ? heldOutVerses : trainVerses;
        while (out.size() < n) {
            List<Turn> conversation = new ArrayList<>();
            int turns = random.nextInt(4) == 0 ? 2 : 1;
            while (conversation.size() < turns) {
                Turn t = turn(pool, heldOut);
                if (t != null) conversation.add(t);
            }
            out.add(conversation);
        }
        return out;
    }

    static void write(Path file, List<List<Turn>> conversations, boolean withLastAnswer) {
        try (Writer w = Files.newBufferedWriter(file)) {
            for (List<Turn> c : conversations) {
                StringBuilder line = new StringBuilder("{\"messages\":[");
                for (int i = 0; i < c.size(); i++) {
                    if (i > 0) line.append(',');
                    line.append(message("user", c.get(i).user()));
                    if (withLastAnswer || i < c.size() - 1) line.append(',').append(message("assistant", c.get(i).assistant()));
                }
                w.write(line.append("]}\n").toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String message(String role, String content) {
        return "{\"role\":\"" + role + "\",\"content\":" + quoted(content) + "}";
    }

    static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }

    /** The topics of the constitution's refuse_topics rule, as written in the YAML. */
    static List<String> topics(Path rules) throws IOException {
        Object root = new org.snakeyaml.engine.v2.api.Load(org.snakeyaml.engine.v2.api.LoadSettings.builder().build())
                .loadFromString(Files.readString(rules));
        for (Object rule : (List<?>) ((Map<?, ?>) root).get("rules"))
            if (rule instanceof Map<?, ?> m && m.get("refuse_topics") instanceof Map<?, ?> settings)
                return ((List<?>) settings.get("topics")).stream().map(String::valueOf).toList();
        throw new IllegalArgumentException(rules + " has no refuse_topics rule");
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: KjvChatData CORPUS RULES.yaml OUT_DIR [SEED]");
            System.exit(2);
        }
        Path rulesFile = Path.of(args[1]), out = Path.of(args[2]);
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        KjvChatData data = new KjvChatData(Files.readString(Path.of(args[0])), Constitution.read(rulesFile), topics(rulesFile), seed);
        Files.createDirectories(out);
        Map<String, Integer> written = new LinkedHashMap<>();
        write(out.resolve("sft-train.jsonl"), data.conversations(TRAIN, false), true);
        written.put("sft-train.jsonl", TRAIN);
        write(out.resolve("sft-val.jsonl"), data.conversations(VAL, true), true);
        written.put("sft-val.jsonl", VAL);
        write(out.resolve("prefs-prompts.jsonl"), data.conversations(PREF_PROMPTS, false), false);
        written.put("prefs-prompts.jsonl", PREF_PROMPTS);
        write(out.resolve("heldout-prompts.jsonl"), data.conversations(HELD_OUT, true), false);
        written.put("heldout-prompts.jsonl", HELD_OUT);
        System.out.printf("%,d training verses, %,d held-out verses (chapters split 90/10, seed %d); wrote %s in %s%n",
                data.trainVerses.size(), data.heldOutVerses.size(), seed, written, out);
    }
}
