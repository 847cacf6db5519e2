package dev.parley.server.ui;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Writes the README's screenshots of the main states (light, dark, phone width) with real replies from stories260K.
 * Runs only when asked: {@code -Dparley.ui.screenshots=../web-client/docs}.
 */
@EnabledIfSystemProperty(named = "parley.ui.screenshots", matches = ".+")
class ScreenshotsTest {
    static final String SETTINGS = """
            {"temperature":0.8,"maxTokens":160,"seed":"7","logprobs":5,"theme":"%s","inspector":%s}""";

    @Test void mainStates(@TempDir Path dir) throws Exception {
        Browser.requireChromium();
        Path out = Path.of(System.getProperty("parley.ui.screenshots")).toAbsolutePath();
        Path sample = Files.writeString(dir.resolve("sample.json"), Samples.markdownConversation());
        try (TestServer server = TestServer.start(ServerConfig.forTests()); Browser browser = Browser.open(1200, 800)) {
            ChatPage page = new ChatPage(browser, server.url("/")).open(SETTINGS.formatted("light", false));
            browser.driver.findElement(By.id("import")).sendKeys(sample.toString());
            browser.await(Duration.ofSeconds(5)).until(d -> !page.messages("assistant").isEmpty());
            browser.driver.findElement(By.id("new-chat")).click();
            page.send("Once upon a time, there was a little dog");
            page.awaitIdle();
            page.send("What did the dog find?");
            page.awaitIdle();
            dismissNotice(page);
            browser.screenshot(out.resolve("chat-light.png"));

            settings(browser, page, "dark", false);
            browser.screenshot(out.resolve("chat-dark.png"));

            page.clickConversation("Markdown sample (imported)");
            browser.screenshot(out.resolve("markdown-dark.png"));

            settings(browser, page, "light", true);
            page.clickConversation("Once upon a time, there was a little dog");
            List<WebElement> tokens = browser.driver.findElements(By.cssSelector("#messages .body.tokens .token"));
            tokens.get(Math.min(14, tokens.size() - 1)).click(); // pins the popover, as a tap does on a phone
            browser.screenshot(out.resolve("inspector-light.png"));
            browser.driver.findElement(By.id("toggle-inspector")).click();

            browser.driver.findElement(By.id("open-settings")).click();
            browser.screenshot(out.resolve("settings-light.png"));
            browser.driver.findElement(By.cssSelector("#settings button[type=submit]")).click();

            browser.viewport(390, 844);
            Thread.sleep(400); // at phone width the sidebar slides out of view
            browser.screenshot(out.resolve("phone-light.png"));
            settings(browser, page, "dark", false);
            browser.screenshot(out.resolve("phone-dark.png"));
            browser.driver.findElement(By.id("toggle-sidebar")).click();
            Thread.sleep(400); // the sidebar slides in
            browser.screenshot(out.resolve("phone-sidebar-dark.png"));
        }
    }

    /** Changes theme/inspector the way the stored settings do, keeping the page (and its conversations) as it is. */
    private static void settings(Browser browser, ChatPage page, String theme, boolean inspector) {
        browser.js("localStorage.setItem('parley.settings', arguments[0])", SETTINGS.formatted(theme, inspector));
        browser.driver.navigate().refresh();
        page.awaitConnected();
    }

    private static void dismissNotice(ChatPage page) {
        if (page.notice().isDisplayed()) page.notice().findElement(By.tagName("button")).click();
    }
}
