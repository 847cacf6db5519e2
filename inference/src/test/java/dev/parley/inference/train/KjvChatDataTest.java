package dev.parley.inference.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator of parley-kjv-chat's conversations, on the repo's constitution and a corpus in the King James Bible's
 * layout: every answer satisfies the constitution, refused topics get the refusal, and the held-out prompts' chapters
 * are not the training conversations' ones.
 */
class KjvChatDataTest {
    static final Path RULES = Path.of("scripts/kjv-chat/constitution.yaml");

    /** Forty chapters of ten verses, each naming a person and a subject, so every kind of question finds answers. */
    static String corpus() {
        StringBuilder b = new StringBuilder();
        for (int c = 1; c <= 40; c++) {
            b.append("\nGenesis ").append(c).append("\n\n");
            for (int v = 1; v <= 10; v++)
                b.append("  ").append(v).append(" And ").append(KjvChatData.PEOPLE.get((c + v) % KjvChatData.PEOPLE.size()))
                        .append(" spake unto the people of chapter ").append(c).append(" verse ").append(v).append(" of ")
                        .append(KjvChatData.SUBJECTS.get((c * v) % KjvChatData.SUBJECTS.size())).append(" in the land.\n");
        }
        return b.toString();
    }

    @Test void everyAnswerKeepsTheConstitutionAndHeldOutChaptersAreUnseen(@TempDir Path dir) throws IOException {
        Constitution rules = Constitution.read(RULES);
        KjvChatData data = new KjvChatData(corpus(), rules, KjvChatData.topics(RULES), 3);
        Path train = dir.resolve("train.jsonl"), heldOut = dir.resolve("held.jsonl");
        KjvChatData.write(train, data.conversations(300, false), true);
        KjvChatData.write(heldOut, data.conversations(100, true), false);
        Set<String> trainChapters = new HashSet<>();
        int refusals = 0;
        for (String line : Files.readAllLines(train)) {
            List<Map<String, Object>> messages = SftData.messages(line);
            for (int i = 0; i < messages.size(); i += 2) {
                String user = (String) messages.get(i).get("content"), answer = (String) messages.get(i + 1).get("content");
                Constitution.Verdict v = rules.judge(new Constitution.Answer(user, answer, true));
                assertTrue(v.all(), user + " -> " + answer + " fails " + v.failed());
                if (answer.equals(rules.refusal().refusal())) refusals++;
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("chapter (\\d+) verse").matcher(answer);
                while (m.find()) trainChapters.add(m.group(1));
            }
        }
        assertTrue(refusals > 10, "refused topics are taught: " + refusals);
        for (String line : Files.readAllLines(heldOut)) {
            List<Map<String, Object>> messages = SftData.messages(line);
            assertEquals("user", messages.getLast().get("role"));
            for (Map<String, Object> m : messages) {
                java.util.regex.Matcher c = java.util.regex.Pattern.compile("chapter (\\d+) verse").matcher((String) m.get("content"));
                while (c.find()) assertTrue(!trainChapters.contains(c.group(1)), "held-out chapter " + c.group(1) + " in training");
            }
        }
        assertTrue(trainChapters.size() > 20, "most chapters train: " + trainChapters);
    }
}
