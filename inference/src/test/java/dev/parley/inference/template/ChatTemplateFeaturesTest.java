package dev.parley.inference.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each extension of the jinja2 compatibility layer, checked against what Python jinja2 3.1.6 renders in the
 * transformers configuration (expected values were produced with it).
 */
class ChatTemplateFeaturesTest {
    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
    private static final List<Map<String, Object>> MESSAGES = List.of(
            Map.of("role", "system", "content", "S"),
            Map.of("role", "user", "content", "U1"),
            Map.of("role", "assistant", "content", "A1"),
            Map.of("role", "user", "content", "U2"));

    private static String render(String template) {
        return render(template, MESSAGES);
    }

    private static String render(String template, List<Map<String, Object>> messages) {
        return ChatTemplate.compile(template).render(messages, false, "<s>", "</s>", NOW, Map.of());
    }

    @Test
    void loopPrevitemAndNextitem() {
        assertEquals("system<user;system>user<assistant;user>assistant<user;assistant>user;",
                render("{% for m in messages %}{% if loop.previtem %}{{ loop.previtem.role }}>{% endif %}{{ m.role }}"
                        + "{% if loop.nextitem %}<{{ loop.nextitem.role }}{% endif %};{% endfor %}"));
    }

    @Test
    void forWithIfFilterNumbersOnlyKeptItems() {
        assertEquals("1:user 2:assistant 3:user. ",
                render("{% for m in messages if m.role != 'system' %}{{ loop.index }}:{{ m.role }}{% if loop.last %}.{% endif %} {% endfor %}"));
    }

    @Test
    void forElseRendersOnlyWhenNothingIterated() {
        assertEquals("empty|12|no tools",
                render("{% for x in [] %}x{% else %}empty{% endfor %}|{% for x in [1, 2] %}{{ x }}{% else %}empty{% endfor %}"
                        + "|{% for m in messages if m.role == 'tool' %}t{% else %}no tools{% endfor %}"));
    }

    @Test
    void unaryNotBindsLooserThanInAndComparisons() {
        assertEquals("True False True no-sys",
                render("{{ not 'x' in 'abc' }} {{ not 'a' in 'abc' }} {{ not messages|length == 1 }}"
                        + "{% if not '<<SYS>>' in messages[0].content %} no-sys{% endif %}"));
    }

    @Test
    void tojsonKeepsNonAsciiAndUsesPythonSeparators() {
        assertEquals("{\"city\": \"Köln\", \"list\": [1, 2.5, true, null], \"q\": \"say \\\"hi\\\"\\n\"}",
                render("{{ {'city': 'Köln', 'list': [1, 2.5, true, none], 'q': 'say \"hi\"\\n'} | tojson }}"));
    }

    @Test
    void tojsonIndent() {
        assertEquals("{\n  \"a\": \"ü\",\n  \"b\": [\n    1,\n    {}\n  ],\n  \"c\": []\n}",
                render("{{ {'a': 'ü', 'b': [1, {}], 'c': []} | tojson(indent=2) }}"));
    }

    @Test
    void itemsFilterUnpacksPairs() {
        assertEquals("a=1;b=two;", render("{% for k, v in {'a': 1, 'b': 'two'} | items %}{{ k }}={{ v }};{% endfor %}"));
    }

    @Test
    void pythonStringMethods() {
        assertEquals("hi|['a', 'b', '', 'c']|True|True|['a', 'b', 'c']|hi|['a', 'b.c']|x",
                render("{{ '  hi \\n'.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ 'hello'.startswith('he') }}"
                        + "|{{ 'hello'.endswith(('x', 'lo')) }}|{{ ' a b  c '.split() }}|{{ 'xxhixx'.strip('x') }}"
                        + "|{{ 'a.b.c'.split('.', 1) }}|{{ '  x'.lstrip() }}"));
        assertEquals("'a' and 2|ac|hello worldHI|a+b+c",
                render("{{ \"'{}' and {}\".format('a', 2) }}|{{ 'abc'[0] }}{{ 'abc'[-1] }}"
                        + "|{{ 'Hello World'.lower() }}{{ 'hi'.upper() }}|{{ 'a-b-c'.replace('-', '+') }}"));
    }

    @Test
    void reverseSlice() {
        assertEquals("cba|uaus", render("{{ 'abc'[::-1] }}|{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}"));
    }

    @Test
    void strftimeNowUsesTheGivenClock() {
        assertEquals("2026-01-02 03:04:05|02 Jan 2026|Friday January 2 002 AM 03",
                render("{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%d %b %Y') }}"
                        + "|{{ strftime_now('%A %B %-d %j %p %I') }}"));
    }

    @Test
    void strftimeNowIsDefinedLikeAGlobal() {
        assertEquals("yes", render("{% if strftime_now is defined %}yes{% endif %}"));
    }

    @Test
    void printsValuesLikePythonStr() {
        assertEquals("True False [1, 'a', True, None] {'k': 'v'} 1.0 2.5 x1",
                render("{{ true }} {{ false }} {{ [1, 'a', true, none] }} {{ {'k': 'v'} }} {{ 1.0 }} {{ 2.5 }} {{ 'x' ~ 1 }}"));
    }

    @Test
    void keywordArgumentTakesWholeExpressionAndCommentsKeepTokenBoundaries() {
        assertEquals("3x", render("{%- set ns = namespace(i=messages|length - 1, found=false) -%}\n{{ ns.i }}\n{#- comment -#}\n  {{ 'x' }}\n"));
    }

    @Test
    void loopControlsAndCommentsInsideLoops() {
        assertEquals("[system]U1[assistant]U2",
                render("{%- for m in messages -%}\n  {#- skip -#}\n  {%- if m.role == 'user' -%}{{ m.content }}{% continue %}{%- endif -%}\n  [{{ m.role }}]\n{%- endfor -%}"));
    }

    @Test
    void raiseExceptionMessageIsTheTemplatesOwn() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> render("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}ok"));
        assertEquals("System role not supported", e.getMessage());
    }

    @Test
    void unknownFilterIsRefusedAtCompile() {
        TemplateException e = assertThrows(TemplateException.class, () -> ChatTemplate.compile("{{ messages | no_such_filter }}"));
        assertTrue(e.getMessage().contains("no_such_filter"), e.getMessage());
    }

    @Test
    void messageContentIsNeverEvaluatedAsTemplate() {
        String content = "{{ 7*7 }} {% if true %}X{% endif %}";
        List<Map<String, Object>> messages = List.of(Map.of("role", "user", "content", content));
        assertEquals("user: " + content + "\n",
                render("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", messages));
    }

    @Test
    void extraVariablesAreVisibleAndTrailingNewlineOfSourceIsDropped() {
        String out = ChatTemplate.compile("{% if tools %}{{ tools | length }} tools{% endif %}\n")
                .render(MESSAGES, false, "", "", NOW, Map.of("tools", List.of(Map.of("name", "f"))));
        assertEquals("1 tools", out);
    }

    @Test
    void pythonOperatorTyping() {
        assertEquals("---|[1, 1]|list has 3 items|002.2%|[1, 2]",
                render("{{ '-' * 3 }}|{{ 2 * [1] }}|{{ '%s has %d items' % ('list', 3) }}|{{ '%05.1f%%' % 2.25 }}|{{ [1] + [2] }}"));
    }

    @Test
    void addingNoneOrNumbersToStringsFailsAsInPython() {
        TemplateException none = assertThrows(TemplateException.class, () -> render("{{ 'a' + none }}"));
        assertEquals("TypeError: can only concatenate str (not \"NoneType\") to str", none.getMessage());
        assertThrows(TemplateException.class, () -> render("{{ 'n=' + 1 }}"));
    }

    @Test
    void indentFilterWithJinja2Arguments() {
        assertEquals("a:\n\n  b|   x\n   y|x\n \n y",
                render("{{ 'a:\\n\\nb' | indent(2) }}|{{ 'x\\ny' | indent(width=3, first=true) }}|{{ 'x\\n\\ny' | indent(1, blank=true) }}"));
    }

    @Test
    void plainTextAddedToSafeMarkupIsEscaped() {
        assertEquals("<b>&#34;q&#34; &amp; &lt;i&gt;|x<y>", render("{{ '<b>'|safe + '\"q\" & <i>' }}|{{ 'x' + '<y>' }}"));
    }
}
