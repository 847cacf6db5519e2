package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/** With the built-in model (`parley serve` without --model) the page says what it is: a tiny demo that answers in the Bible's words. */
class DemoModelNoticeTest {
    @Test void builtInModelIsIntroducedAsATinyBibleWordsDemo() {
        Browser.requireChromium();
        try (TestServer server = TestServer.startBuiltIn(ServerConfig.forTests()); Browser browser = Browser.open(1200, 800)) {
            new ChatPage(browser, server.url("/")).open(ChatUiTest.SHORT_REPLIES);
            assertEquals("parley-kjv-chat", browser.driver.findElement(By.id("model-name")).getText());
            WebElement notice = browser.driver.findElement(By.id("model-description"));
            browser.await(Duration.ofSeconds(10)).until(d -> notice.isDisplayed());
            assertTrue(notice.getText().contains("does not follow other instructions"), notice.getText());
            assertTrue(notice.getText().contains("King James Bible"), notice.getText());
        }
    }
}
