package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/** The server's `overloaded` error as the page shows it: here a server that allows a single live session. */
class OverloadedServerTest {
    @Test void overloadedErrorIsReadableAndTheMessageIsKept() {
        Browser.requireChromium();
        ServerConfig oneSession = ServerConfig.forTests().toBuilder().maxSessions(1).build();
        try (TestServer server = TestServer.start(oneSession); Browser browser = Browser.open(1200, 800)) {
            ChatPage page = new ChatPage(browser, server.url("/")).open(ChatUiTest.SHORT_REPLIES);
            page.send("Once upon a time");
            page.awaitIdle();
            browser.driver.findElement(By.id("new-chat")).click();
            page.send("A second story, please");

            browser.await(Duration.ofSeconds(20)).until(d -> page.notice().isDisplayed());
            String notice = page.notice().getText();
            assertTrue(notice.startsWith("The server is busy right now"), notice);
            assertTrue(notice.contains("Try again in 5 s"), notice);
            assertEquals("A second story, please", page.prompt().getDomProperty("value"), "the message is back in the input");
            assertEquals(0, page.messages("user").size(), "the refused turn is not kept");
            assertNull(page.prompt().getDomAttribute("disabled"));
        }
    }
}
