package dev.parley.server.ui;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/** What the tests do on the chat page, in the page's own terms (element ids and classes of web-client's index.html). */
final class ChatPage {
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);

    final Browser browser;
    final String url;

    ChatPage(Browser browser, String url) {
        this.browser = browser;
        this.url = url;
    }

    /** Loads the page with the given stored settings (JSON object) and waits for the server's hello. */
    ChatPage open(String settingsJson) {
        browser.driver.get(url);
        browser.js("localStorage.setItem('parley.settings', arguments[0])", settingsJson);
        browser.driver.navigate().refresh();
        return awaitConnected();
    }

    ChatPage awaitConnected() {
        try {
            browser.await(Duration.ofSeconds(20)).until(d -> "open".equals(connection().getDomAttribute("data-state")));
        } catch (org.openqa.selenium.TimeoutException e) {
            String source = browser.driver.getPageSource();
            throw new AssertionError("not connected; page at " + browser.driver.getCurrentUrl() + ": "
                    + source.substring(0, Math.min(600, source.length())), e);
        }
        recordSentFrames();
        return this;
    }

    /** Wraps WebSocket.send so the tests can see the protocol frames the page sends. */
    void recordSentFrames() {
        browser.js("""
                if (!window.__sent) {
                  window.__sent = [];
                  const send = WebSocket.prototype.send;
                  WebSocket.prototype.send = function (data) { window.__sent.push(JSON.parse(data)); return send.call(this, data); };
                }""");
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> sentFrames(String type) {
        return (List<Map<String, Object>>) browser.js("return (window.__sent || []).filter(f => f.type === arguments[0])", type);
    }

    WebElement connection() { return browser.driver.findElement(By.id("connection")); }

    WebElement prompt() { return browser.driver.findElement(By.id("prompt")); }

    /** Types a message and presses Enter (the keyboard path, not the Send button). */
    void send(String text) {
        prompt().sendKeys(text);
        prompt().sendKeys(Keys.ENTER);
    }

    /** Waits until no reply is streaming: Send is back and Stop is hidden. */
    void awaitIdle() {
        browser.await(REPLY_TIMEOUT).until(d -> d.findElement(By.id("stop")).getDomAttribute("hidden") != null
                && d.findElements(By.cssSelector(".body.streaming")).isEmpty());
    }

    List<WebElement> messages(String role) {
        return browser.driver.findElements(By.cssSelector("#messages article.message." + role));
    }

    List<String> texts(String role) {
        return messages(role).stream().map(m -> m.findElement(By.cssSelector(".body")).getText()).toList();
    }

    String lastStats() {
        List<WebElement> replies = messages("assistant");
        return replies.getLast().findElement(By.cssSelector(".stats")).getText();
    }

    String streamingTextLength() {
        return String.valueOf(browser.js("const b = document.querySelector('.body.streaming'); return b ? b.textContent.length : -1"));
    }

    List<WebElement> conversations() {
        return browser.driver.findElements(By.cssSelector("#conversation-list li.conversation"));
    }

    void clickConversation(String title) {
        conversations().stream().map(li -> li.findElement(By.cssSelector(".conversation-open")))
                .filter(b -> b.getText().equals(title)).findFirst()
                .orElseThrow(() -> new AssertionError("no conversation titled " + title)).click();
    }

    WebElement notice() { return browser.driver.findElement(By.id("notice")); }
}
