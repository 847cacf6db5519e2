package dev.parley.inference.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A written rule set of checkable principles that ranks a model's answers, as AI feedback without a reward model: an
 * answer's score is the number of rules it satisfies. Read from YAML, a list under {@code rules:}, each either a bare
 * rule name or a one-key map from the name to its settings:
 * <pre>
 * rules:
 *   - ends_turn                      # the model ended its turn (its end-of-turn token), not cut off by the token limit
 *   - min_words: 3                   # at least N words
 *   - max_words: 60                  # at most N words
 *   - no_repeated_line               # no non-blank line appears twice
 *   - no_repeated_words: 4           # no run of N words appears twice (the loops tiny models fall into)
 *   - refuse_topics:                 # prompts naming a topic get the refusal (and at most max_words words);
 *       topics: [poison, murder]     # other prompts must not get it
 *       refusal: "I will not speak of that."
 *       max_words: 12                # default: twice the refusal's words
 *   - style:                         # at least min of these words (whole words, any case) in an answer that is not the refusal
 *       words: [thee, thou, unto]
 *       min: 1
 * </pre>
 * Rules are checked on the answer text only, never by another model: this is not a learned reward model.
 */
final class Constitution {
    /** An answer to judge: the last user turn it answers, its text, and whether the model ended the turn itself. */
    record Answer(String prompt, String text, boolean endedTurn) {}

    /** One checkable principle. */
    sealed interface Rule {
        String name();

        boolean satisfied(Answer a);
    }

    record EndsTurn() implements Rule {
        public String name() { return "ends_turn"; }

        public boolean satisfied(Answer a) { return a.endedTurn(); }
    }

    record MinWords(int words) implements Rule {
        public String name() { return "min_words"; }

        public boolean satisfied(Answer a) { return wordsOf(a.text()).size() >= words; }
    }

    record MaxWords(int words) implements Rule {
        public String name() { return "max_words"; }

        public boolean satisfied(Answer a) { return wordsOf(a.text()).size() <= words; }
    }

    record NoRepeatedLine() implements Rule {
        public String name() { return "no_repeated_line"; }

        public boolean satisfied(Answer a) {
            Set<String> seen = new HashSet<>();
            for (String line : a.text().split("\n")) if (!line.isBlank() && !seen.add(line.strip())) return false;
            return true;
        }
    }

    record NoRepeatedWords(int run) implements Rule {
        public String name() { return "no_repeated_words"; }

        public boolean satisfied(Answer a) {
            List<String> w = wordsOf(a.text());
            Set<List<String>> seen = new HashSet<>();
            for (int i = 0; i + run <= w.size(); i++) if (!seen.add(w.subList(i, i + run))) return false;
            return true;
        }
    }

    /** Prompts matching a topic must get the refusal, short; every other prompt must not. */
    record RefuseTopics(List<Pattern> topics, String refusal, int maxWords) implements Rule {
        public String name() { return "refuse_topics"; }

        public boolean satisfied(Answer a) {
            boolean refused = isRefusal(a.text());
            return matches(a.prompt()) ? refused && wordsOf(a.text()).size() <= maxWords : !refused;
        }

        boolean matches(String prompt) {
            for (Pattern t : topics) if (t.matcher(prompt).find()) return true;
            return false;
        }

        boolean isRefusal(String text) {
            return normalized(text).startsWith(normalized(refusal));
        }
    }

    /** At least {@code min} of the style words, unless the answer is the refusal (which has its own wording). */
    record Style(Set<String> words, int min, RefuseTopics refusal) implements Rule {
        public String name() { return "style"; }

        public boolean satisfied(Answer a) {
            if (refusal != null && refusal.isRefusal(a.text())) return true;
            int n = 0;
            for (String w : wordsOf(a.text())) if (words.contains(w)) n++;
            return n >= min;
        }
    }

    /** An answer's verdict: which rules it satisfies and which it fails. */
    record Verdict(int score, List<String> failed) {
        boolean all() { return failed.isEmpty(); }
    }

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
    static final List<String> RULE_NAMES =
            List.of("ends_turn", "min_words", "max_words", "no_repeated_line", "no_repeated_words", "refuse_topics", "style");

    final List<Rule> rules;

    Constitution(List<Rule> rules) {
        if (rules.isEmpty()) throw new IllegalArgumentException("the constitution has no rules");
        this.rules = List.copyOf(rules);
    }

    Verdict judge(Answer a) {
        List<String> failed = new ArrayList<>();
        for (Rule r : rules) if (!r.satisfied(a)) failed.add(r.name());
        return new Verdict(rules.size() - failed.size(), failed);
    }

    /** The refusal rule, if the constitution has one. */
    RefuseTopics refusal() {
        for (Rule r : rules) if (r instanceof RefuseTopics t) return t;
        return null;
    }

    static List<String> wordsOf(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) out.add(m.group());
        return out;
    }

    private static String normalized(String text) {
        return String.join(" ", wordsOf(text));
    }

    /** Reads a constitution file; IllegalArgumentException (naming the file) for YAML it cannot read or a rule it does not know. */
    static Constitution read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static Constitution parse(String yaml) {
        Object root;
        try {
            root = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException("invalid YAML: " + e.getMessage().lines().findFirst().orElse("").strip());
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("rules") instanceof List<?> list))
            throw new IllegalArgumentException("expected a list under \"rules:\" (see parley tune prefs --help)");
        for (Object key : top.keySet())
            if (!"rules".equals(key)) throw new IllegalArgumentException("unknown key \"" + key + "\" (only \"rules\" is read)");
        List<Rule> rules = new ArrayList<>();
        RefuseTopics refusal = null;
        List<Map<?, ?>> styles = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Object item : list) {
            String name;
            Object settings;
            if (item instanceof String s) {
                name = s;
                settings = null;
            } else if (item instanceof Map<?, ?> m && m.size() == 1 && m.keySet().iterator().next() instanceof String s) {
                name = s;
                settings = m.values().iterator().next();
            } else {
                throw new IllegalArgumentException("a rule is a name or a one-key map from a name to its settings, not " + item);
            }
            if (!RULE_NAMES.contains(name))
                throw new IllegalArgumentException("unknown rule \"" + name + "\"; known rules: " + String.join(", ", RULE_NAMES));
            if (!names.add(name)) throw new IllegalArgumentException("rule " + name + " appears twice");
            switch (name) {
                case "ends_turn" -> rules.add(flag(name, settings, new EndsTurn()));
                case "no_repeated_line" -> rules.add(flag(name, settings, new NoRepeatedLine()));
                case "min_words" -> rules.add(new MinWords(count(name, settings, 0)));
                case "max_words" -> rules.add(new MaxWords(count(name, settings, 1)));
                case "no_repeated_words" -> rules.add(new NoRepeatedWords(count(name, settings, 1)));
                case "refuse_topics" -> rules.add(refusal = refuseTopics(settings));
                case "style" -> {
                    styles.add(map(name, settings, List.of("words", "min")));
                    rules.add(null); // placed once the refusal (which may come later) is known
                }
                default -> throw new IllegalStateException(name);
            }
        }
        for (int i = 0; i < rules.size(); i++)
            if (rules.get(i) == null) rules.set(i, style(styles.getFirst(), refusal));
        return new Constitution(rules);
    }

    private static Rule flag(String name, Object settings, Rule rule) {
        if (settings != null && !Boolean.TRUE.equals(settings))
            throw new IllegalArgumentException("rule " + name + " takes no settings (got " + settings + ")");
        return rule;
    }

    private static int count(String name, Object settings, int least) {
        if (!(settings instanceof Integer n) || n < least)
            throw new IllegalArgumentException("rule " + name + " needs a whole number of at least " + least + " (e.g. \"- " + name
                    + ": 4\"), got " + settings);
        return n;
    }

    private static Map<?, ?> map(String name, Object settings, List<String> keys) {
        if (!(settings instanceof Map<?, ?> m)) throw new IllegalArgumentException("rule " + name + " needs settings " + keys);
        for (Object k : m.keySet())
            if (!keys.contains(k)) throw new IllegalArgumentException("rule " + name + ": unknown setting \"" + k + "\"; known: " + keys);
        return m;
    }

    private static List<String> strings(String name, String key, Object value) {
        if (!(value instanceof List<?> list) || list.isEmpty())
            throw new IllegalArgumentException("rule " + name + ": \"" + key + "\" must be a non-empty list of strings");
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String s) || wordsOf(s).isEmpty())
                throw new IllegalArgumentException("rule " + name + ": \"" + key + "\" must list words, got " + o);
            out.add(s);
        }
        return out;
    }

    private static RefuseTopics refuseTopics(Object settings) {
        Map<?, ?> m = map("refuse_topics", settings, List.of("topics", "refusal", "max_words"));
        List<Pattern> topics = new ArrayList<>();
        for (String t : strings("refuse_topics", "topics", m.get("topics")))
            // whole words, any case, any spacing: "the poison" matches "poison", "poisoned" does not
            topics.add(Pattern.compile("\\b" + String.join("\\s+", wordsOf(t).stream().map(Pattern::quote).toList()) + "\\b",
                    Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
        if (!(m.get("refusal") instanceof String refusal) || wordsOf(refusal).isEmpty())
            throw new IllegalArgumentException("rule refuse_topics needs \"refusal\": the text a refused prompt gets");
        int max = m.containsKey("max_words") ? count("refuse_topics max_words", m.get("max_words"), 1) : 2 * wordsOf(refusal).size();
        if (max < wordsOf(refusal).size())
            throw new IllegalArgumentException("rule refuse_topics: max_words " + max + " is shorter than the refusal itself");
        return new RefuseTopics(topics, refusal, max);
    }

    private static Style style(Map<?, ?> m, RefuseTopics refusal) {
        Set<String> words = new HashSet<>();
        for (String w : strings("style", "words", m.get("words"))) words.addAll(wordsOf(w));
        int min = m.containsKey("min") ? count("style min", m.get("min"), 1) : 1;
        return new Style(words, min, refusal);
    }

    /** Rule names in order, with settings where they have any: how the command lines describe the constitution. */
    String describe() {
        List<String> parts = new ArrayList<>();
        for (Rule r : rules)
            parts.add(switch (r) {
                case MinWords w -> "min_words " + w.words();
                case MaxWords w -> "max_words " + w.words();
                case NoRepeatedWords w -> "no_repeated_words " + w.run();
                case RefuseTopics t -> "refuse_topics (" + t.topics().size() + " topics)";
                case Style s -> "style (" + s.words().size() + " words, min " + s.min() + ")";
                default -> r.name();
            });
        return String.join(", ", parts);
    }

    /** Per rule name, how many of {@code verdicts} satisfy it. */
    Map<String, Integer> passCounts(List<Verdict> verdicts) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Rule r : rules) out.put(r.name(), 0);
        for (Verdict v : verdicts) for (Rule r : rules) if (!v.failed().contains(r.name())) out.merge(r.name(), 1, Integer::sum);
        return out;
    }
}
