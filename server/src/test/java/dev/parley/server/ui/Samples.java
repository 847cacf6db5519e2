package dev.parley.server.ui;

/**
 * A conversation file with markdown the tiny test model cannot write (it only knows children's stories): headings,
 * lists, a table and a fenced code block, imported through the page's Import button like any exported chat.
 */
final class Samples {
    private Samples() {}

    static String markdownConversation() {
        String reply = """
                ## Reversing a list

                Two ways, depending on whether you may **change the original**:

                - `Collections.reverse(list)` reverses *in place*;
                - `list.reversed()` (Java 21+) returns a reversed **view**.

                ```java
                List<String> names = new ArrayList<>(List.of("Ann", "Bob", "Cy"));
                Collections.reverse(names); // [Cy, Bob, Ann]
                ```

                | method | copies? | since |
                |---|---|---|
                | `Collections.reverse` | no | 1.2 |
                | `List.reversed` | no (a view) | 21 |
                """;
        return """
                {"format":"parley-conversations","version":1,"conversations":[{"id":"c-markdown-sample",
                 "title":"Markdown sample (imported)",
                 "messages":[{"role":"user","content":"How do I reverse a list in Java?"},
                             {"role":"assistant","content":%s}]}]}
                """.formatted(ChatUiTest.jsonString(reply));
    }
}
