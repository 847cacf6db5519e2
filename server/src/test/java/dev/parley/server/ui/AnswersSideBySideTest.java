package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Rectangle;
import org.openqa.selenium.WebElement;

/**
 * The "answers side by side" setting in headless Chromium against a real server with the real stories260K model:
 * the page asks for n answers ({@code params.n}) and shows them next to each other, each with its own stats.
 */
class AnswersSideBySideTest {
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
