package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/** The chat UI in headless Chromium against a real server with the real stories260K model. */
class ChatUiTest {
    /** Short replies keep the tests quick; logprobs feed the token inspector. */
    static final String SHORT_REPLIES = """
            {"temperature":0.8,"topP":0.95,"maxTokens":40,"logprobs":5}""";
    /** No end-of-text stop and a long limit: a reply still streaming when the test stops it. */
    static final String LONG_REPLIES = """
            {"temperature":0.8,"maxTokens":1900,"ignoreEos":true,"logprobs":0}""";

    static TestServer server;
    Browser browser;
    ChatPage page;

    @BeforeAll static void startServer() {
        Browser.requireChromium();
        server = TestServer.start(ServerConfig.forTests());
    }

    @AfterAll static void stopServer() {
        if (server != null) server.close();
    }

    @BeforeEach void openBrowser() {
        browser = Browser.open(1200, 800);
        page = new ChatPage(browser, server.url("/"));
    }

    @AfterEach void closeBrowser() {
        if (browser != null) browser.close();
    }

    @Test void pageShowsModelFromHelloAndConnectionState() {
        page.open(SHORT_REPLIES);
        assertEquals("stories260K", browser.driver.findElement(By.id("model-name")).getText());
        assertEquals("2,048 ctx", browser.driver.findElement(By.id("model-context")).getText());
        assertEquals("Connected", page.connection().getText());
        assertFalse(browser.driver.findElement(By.id("model-description")).isDisplayed(), "a real model needs no demo notice");
    }

    @Test void aMessageStreamsInTokenByTokenThenShowsStats() {
        page.open("""
                {"temperature":0.8,"maxTokens":120,"ignoreEos":true,"logprobs":5}""");
        // every change of the streaming reply's text length, as the page renders it
        browser.js("""
                window.__lengths = [];
                new MutationObserver(() => {
                  const b = document.querySelector('.body.streaming');
                  if (b && window.__lengths.at(-1) !== b.textContent.length) window.__lengths.push(b.textContent.length);
                }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });""");
        page.send("Once upon a time");
        page.awaitIdle();

        assertEquals(List.of("Once upon a time"), page.texts("user"));
        List<String> replies = page.texts("assistant");
        assertEquals(1, replies.size());
        assertFalse(replies.getFirst().isBlank(), "the reply has text");
        @SuppressWarnings("unchecked") List<Long> lengths = (List<Long>) browser.js("return window.__lengths");
        // At least one partial reply on screen before the whole one: how many steps the page shows depends on how many
        // deltas arrive between two renders (a full CI run once gave [0, 71, 173]), so more is not required.
        assertTrue(lengths.stream().filter(n -> n > 0).count() >= 2, "the reply grew in several steps: " + lengths);
        String stats = page.lastStats();
        assertTrue(stats.matches(".*\\d+ tokens? · first token [\\d.]+ ms.*"), stats);
        assertEquals("Once upon a time", page.conversations().getFirst().findElement(By.cssSelector(".conversation-open")).getText());
        Map<String, Object> chat = page.sentFrames("chat").getFirst();
        assertNull(chat.get("session"), "a new conversation starts a new session");
        assertEquals(5L, ((Map<?, ?>) chat.get("params")).get("logprobs"));
    }

    @Test void escapeStopsAReplyMidStreamWithACancelFrame() throws InterruptedException {
        page.open(LONG_REPLIES);
        page.send("Once upon a time");
        browser.await(ChatPage.REPLY_TIMEOUT).until(d -> Long.parseLong(page.streamingTextLength()) > 40);
        page.prompt().sendKeys(Keys.ESCAPE);
        page.awaitIdle();

        assertEquals(1, page.sentFrames("cancel").size());
        String stats = page.lastStats();
        assertTrue(stats.contains("stopped"), stats);
        int tokens = Integer.parseInt(stats.replaceAll("^(\\d+) tokens?.*", "$1"));
        assertTrue(tokens < 1900, "stopped before max_tokens: " + stats);
        String text = page.texts("assistant").getFirst();
        Thread.sleep(500);
        assertEquals(text, page.texts("assistant").getFirst(), "nothing arrives after the stop");
    }

    @Test void stopButtonStopsToo() {
        page.open(LONG_REPLIES);
        page.send("Once upon a time");
        browser.await(ChatPage.REPLY_TIMEOUT).until(d -> Long.parseLong(page.streamingTextLength()) > 10);
        browser.driver.findElement(By.id("stop")).click();
        page.awaitIdle();
        assertTrue(page.lastStats().contains("stopped"), page.lastStats());
    }

    @Test void regenerateReplacesTheLastReplyThroughTheSession() {
        page.open(SHORT_REPLIES);
        page.send("Once upon a time");
        page.awaitIdle();
        String session = (String) browser.js("return JSON.parse(localStorage.getItem('parley.conversations'))[0].session");
        assertTrue(session.startsWith("s-"), session);

        page.messages("assistant").getLast().findElement(By.cssSelector("button.regenerate")).click();
        page.awaitIdle();

        List<Map<String, Object>> regenerates = page.sentFrames("regenerate");
        assertEquals(1, regenerates.size());
        assertEquals(session, regenerates.getFirst().get("session"));
        assertEquals(1, page.messages("assistant").size(), "the new reply replaces the old one");
        assertEquals(1, page.messages("user").size());
        assertTrue(page.lastStats().contains("tokens"), page.lastStats());
        assertNull(browser.driver.findElements(By.cssSelector(".message-error")).stream().findFirst().orElse(null));
    }

    @Test void editingAnEarlierMessageSendsEditAndDropsWhatFollowed() {
        page.open(SHORT_REPLIES);
        page.send("Once upon a time");
        page.awaitIdle();
        page.send("Then what?");
        page.awaitIdle();
        assertEquals(2, page.messages("assistant").size());

        page.messages("user").getFirst().findElement(By.cssSelector("button.edit")).click();
        WebElement area = browser.driver.findElement(By.cssSelector(".edit-form textarea"));
        area.clear();
        area.sendKeys("The little cat");
        browser.driver.findElement(By.cssSelector(".edit-form button[type=submit]")).click();
        page.awaitIdle();

        List<Map<String, Object>> edits = page.sentFrames("edit");
        assertEquals(1, edits.size());
        assertEquals(0L, edits.getFirst().get("index"));
        assertEquals("The little cat", edits.getFirst().get("content"));
        assertEquals(List.of("The little cat"), page.texts("user"));
        assertEquals(1, page.messages("assistant").size());
    }

    @Test void conversationsSwitchAndSurviveAReloadThenResumeTheirSession() {
        page.open(SHORT_REPLIES);
        page.send("Tom had a red ball");
        page.awaitIdle();
        String tomReply = page.texts("assistant").getFirst();
        browser.driver.findElement(By.id("new-chat")).click();
        page.send("Lily saw a big dog");
        page.awaitIdle();
        assertEquals(2, page.conversations().size());

        page.clickConversation("Tom had a red ball");
        assertEquals(List.of("Tom had a red ball"), page.texts("user"));
        assertEquals(tomReply, page.texts("assistant").getFirst());

        browser.driver.navigate().refresh();
        page.awaitConnected();
        assertEquals(2, page.conversations().size());
        assertEquals(List.of("Tom had a red ball"), page.texts("user"), "the current conversation is restored");
        assertEquals(tomReply, page.texts("assistant").getFirst());

        page.send("What did Tom do next?");
        page.awaitIdle();
        Map<String, Object> chat = page.sentFrames("chat").getFirst();
        assertTrue(String.valueOf(chat.get("session")).startsWith("s-"), "the live session is resumed: " + chat);
        assertEquals(1, ((List<?>) chat.get("messages")).size(), "only the new turn is sent");
        assertEquals(2, page.messages("assistant").size());
    }

    @Test void anExpiredSessionIsReplacedByResendingTheHistory() {
        page.open(SHORT_REPLIES);
        page.send("Once upon a time");
        page.awaitIdle();
        // the server forgot the session (expired, restarted): the stored id no longer resolves
        browser.js("""
                const all = JSON.parse(localStorage.getItem('parley.conversations'));
                all[0].session = 's-00000000000000000000000000000000';
                localStorage.setItem('parley.conversations', JSON.stringify(all));""");
        browser.driver.navigate().refresh();
        page.awaitConnected();
        page.send("And then?");
        page.awaitIdle();

        List<Map<String, Object>> chats = page.sentFrames("chat");
        assertEquals(2, chats.size(), "one try with the old session, one with the whole history");
        assertNull(chats.get(1).get("session"));
        assertEquals(3, ((List<?>) chats.get(1).get("messages")).size());
        assertEquals(2, page.messages("assistant").size());
        assertTrue(page.notice().getDomAttribute("hidden") != null, "no error is shown");
    }

    @Test void tokenInspectorShowsProbabilitiesAndAlternatives() {
        page.open(SHORT_REPLIES);
        page.send("Once upon a time");
        page.awaitIdle();
        browser.driver.findElement(By.id("toggle-inspector")).click();
        assertEquals("true", browser.driver.findElement(By.id("toggle-inspector")).getDomAttribute("aria-pressed"));

        List<WebElement> tokens = browser.driver.findElements(By.cssSelector("#messages .body.tokens .token"));
        assertTrue(tokens.size() >= 5, "one span per generated token: " + tokens.size());
        assertTrue(tokens.stream().allMatch(t -> t.getDomAttribute("class").matches("token (high|medium|low|very-low)")));
        assertEquals(page.texts("assistant").getFirst().replace("\n", ""),
                tokens.stream().map(WebElement::getText).reduce("", String::concat).replace("\n", ""));

        new Actions(browser.driver).moveToElement(tokens.get(2)).perform();
        WebElement popover = browser.driver.findElement(By.id("token-popover"));
        browser.await(Duration.ofSeconds(5)).until(d -> popover.isDisplayed());
        List<WebElement> alternatives = popover.findElements(By.cssSelector(".alternatives li"));
        assertEquals(5, alternatives.size(), "top-5 alternatives: " + popover.getText());
        assertTrue(popover.getText().contains("%"), popover.getText());
        assertTrue(popover.getText().startsWith("Sampled"), popover.getText());
    }

    @Test void untrustedMarkdownCannotRunScript(@TempDir Path dir) throws Exception {
        page.open(SHORT_REPLIES);
        String attack = """
                # Reply
                <script>window.__xss = 'script'</script>
                <img src="x" onerror="window.__xss = 'img'">
                <svg onload="window.__xss = 'svg'"></svg>
                [click me](javascript:window.__xss='link') and [upper](JAVASCRIPT:window.__xss='upper')
                [data](data:text/html,<script>window.__xss='data'</script>)
                <a href="javascript:window.__xss='raw'">raw link</a>
                ![pic](javascript:window.__xss='image')
                [fine](https://example.org/)
                """;
        // An imported file is as untrusted as model output and goes through the same rendering.
        String file = """
                {"format":"parley-conversations","version":1,"conversations":[{"id":"c-x","title":"<img src=x onerror=window.__xss='title'>",
                 "messages":[{"role":"user","content":"<b onmouseover=window.__xss='user'>hi</b>"},
                             {"role":"assistant","content":%s,
                              "tokens":[{"text":"<img src=x onerror=window.__xss='token'>","logprob":-0.1,
                                         "top":[{"text":"<script>window.__xss='alt'</script>","logprob":-0.1}]}]}]}]}
                """.formatted(jsonString(attack));
        Path json = Files.writeString(dir.resolve("attack.json"), file);
        browser.driver.findElement(By.id("import")).sendKeys(json.toString());
        browser.await(Duration.ofSeconds(5)).until(d -> !page.messages("assistant").isEmpty());

        WebElement reply = page.messages("assistant").getFirst();
        for (WebElement a : reply.findElements(By.tagName("a"))) // a javascript: link would run when clicked
            if (!a.getDomAttribute("href").startsWith("https:")) a.click();
        browser.driver.findElement(By.id("toggle-inspector")).click();
        new Actions(browser.driver).moveToElement(browser.driver.findElement(By.cssSelector(".body.tokens .token"))).perform();
        new Actions(browser.driver).moveToElement(page.messages("user").getFirst()).perform();
        browser.driver.findElement(By.id("toggle-inspector")).click();

        assertNull(browser.js("return window.__xss ?? null"), "no injected code ran");
        assertThrowsNoAlert();
        // Escaped text may mention onerror; what matters is that no element, handler attribute or script URL exists.
        assertEquals(List.of(), dangerousNodes("[document.getElementById('messages'), document.getElementById('conversation-list')]"));
        reply = page.messages("assistant").getFirst(); // toggling the inspector rendered it again
        String text = reply.getText();
        assertTrue(text.contains("<script>window.__xss = 'script'</script>"), "raw HTML is shown as text: " + text);
        List<WebElement> links = reply.findElements(By.tagName("a"));
        assertEquals(List.of("https://example.org/"), links.stream().map(a -> a.getDomAttribute("href")).toList());
        assertEquals("noopener noreferrer nofollow", links.getFirst().getDomAttribute("rel"));

        // The renderer on its own, through the page's read-only hook.
        String rendered = (String) browser.js("return window.parley.renderMarkdown(arguments[0])", attack);
        browser.js("window.__rendered = document.createElement('template'); window.__rendered.innerHTML = arguments[0]", rendered);
        assertEquals(List.of(), dangerousNodes("[window.__rendered.content]"), rendered); // a template's content is inert
        assertTrue(rendered.contains("<h1>Reply</h1>"), rendered);
    }

    @Test void markdownRendersCodeWithHighlightingAndACopyButton(@TempDir Path dir) throws Exception {
        page.open(SHORT_REPLIES);
        Path json = Files.writeString(dir.resolve("sample.json"), Samples.markdownConversation());
        browser.driver.findElement(By.id("import")).sendKeys(json.toString());
        browser.await(Duration.ofSeconds(5)).until(d -> !page.messages("assistant").isEmpty());
        WebElement reply = page.messages("assistant").getFirst();

        assertFalse(reply.findElements(By.cssSelector(".code-block code.language-java .hljs-keyword")).isEmpty());
        assertEquals(1, reply.findElements(By.tagName("table")).size());
        assertEquals(2, reply.findElements(By.cssSelector("ul li")).size());
        WebElement copy = reply.findElement(By.cssSelector(".code-block button.copy-code"));
        copy.click();
        browser.await(Duration.ofSeconds(2)).until(d -> copy.getText().equals("Copied"));
    }

    /** Script-capable elements, event-handler attributes and script/data URLs under the given roots (a JS array expression). */
    @SuppressWarnings("unchecked")
    private List<String> dangerousNodes(String roots) {
        return (List<String>) browser.js("""
                const found = [];
                for (const root of %s) for (const el of root.querySelectorAll('*')) {
                  if (/^(script|img|svg|iframe|object|embed|style|math)$/i.test(el.tagName)) found.push(el.tagName);
                  for (const a of el.attributes)
                    if (/^on/i.test(a.name) || /^\\s*(javascript|data|vbscript):/i.test(a.value)) found.push(el.tagName + ' ' + a.name + '=' + a.value);
                }
                return found;""".formatted(roots));
    }

    private void assertThrowsNoAlert() {
        try {
            browser.driver.switchTo().alert();
            throw new AssertionError("an alert is open");
        } catch (NoAlertPresentException expected) {
            // nothing ran
        }
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** "Answers side by side": the page asks for n answers ({@code params.n}) and shows them next to each other. */
    @Test void threeAnswersStreamSideBySideAndTheFirstContinuesTheChat() {
        page.open("""
                {"temperature":1,"maxTokens":30,"seed":"5","ignoreEos":true,"logprobs":0,"answers":3}""");
        page.send("Once upon a time");
        page.awaitIdle();

        Map<String, Object> chat = page.sentFrames("chat").getFirst();
        assertEquals(3L, ((Map<?, ?>) chat.get("params")).get("n"));
        List<WebElement> replies = page.messages("assistant");
        assertEquals(1, replies.size(), "one reply holding the three answers");
        List<WebElement> answers = replies.getFirst().findElements(By.cssSelector(".answers > .bubble"));
        assertEquals(3, answers.size());
        List<String> texts = answers.stream().map(a -> a.findElement(By.cssSelector(".body")).getText()).toList();
        for (String text : texts) assertFalse(text.isBlank(), "every answer has text: " + texts);
        assertNotEquals(texts.get(0), texts.get(1), "seeds 5 and 6 sample different answers");
        for (WebElement answer : answers) {
            String stats = answer.findElement(By.cssSelector(".stats")).getText();
            assertTrue(stats.startsWith("30 tokens"), stats);
        }
        // next to each other: the same top, left to right
        Rectangle first = answers.get(0).getRect(), second = answers.get(1).getRect(), third = answers.get(2).getRect();
        assertTrue(Math.abs(first.y - second.y) < 4 && Math.abs(second.y - third.y) < 4, first + " " + second + " " + third);
        assertTrue(first.x + first.width <= second.x && second.x + second.width <= third.x, first + " " + second + " " + third);

        // the session continues from the first answer: a second message carries it as the assistant turn
        page.send("And then?");
        page.awaitIdle();
        assertEquals(2, page.messages("assistant").size());
        String session = (String) page.sentFrames("chat").getLast().get("session");
        var history = server.server.sessions().get(session).await().history();
        assertEquals(4, history.size());
        assertEquals(texts.getFirst().strip(), history.get(1).content().strip());
    }
}
