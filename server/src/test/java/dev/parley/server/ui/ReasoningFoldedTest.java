package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ServingModel;
import dev.parley.server.testing.TestServer;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * A reasoning model's thinking is shown folded above the answer. The server runs stories260K with the oracle's
 * DeepSeek-R1 chat template, which pre-fills {@code <think>} for the model: everything the tiny model writes is then
 * thinking (it never closes the block), streamed as the delta frames' {@code reasoning}.
 */
class ReasoningFoldedTest {
    @Test void thinkingIsFoldedInADetailsElementThatOpensOnClick() throws Exception {
        Browser.requireChromium();
        String template = Files.readString(Shared.path("oracle/templates/deepseek-ai-DeepSeek-R1-Distill-Llama-8B-55754f.jinja"));
        try (TestServer server = TestServer.start(ServerConfig.forTests(), Shared.stories260K(),
                new ServingModel.Options().chatTemplate(template));
             Browser browser = Browser.open(1200, 800)) {
            ChatPage page = new ChatPage(browser, server.url("/")).open(ChatUiTest.SHORT_REPLIES);
            page.send("Once upon a time");
            page.awaitIdle();
            WebElement reply = page.messages("assistant").getLast();
            WebElement details = reply.findElement(By.cssSelector("details.reasoning"));
            assertNull(details.getDomAttribute("open"), "folded by default");
            assertEquals("Reasoning", details.findElement(By.tagName("summary")).getText());
            WebElement thinking = details.findElement(By.cssSelector(".reasoning-text"));
            assertFalse(thinking.isDisplayed());
            String folded = String.valueOf(browser.js("return arguments[0].textContent", thinking));
            assertFalse(folded.isBlank(), "the thinking arrived");
            assertFalse(folded.contains("<think>"), folded);
            assertEquals("", reply.findElement(By.cssSelector(".body")).getText(), "no answer outside the thinking");

            details.findElement(By.tagName("summary")).click();
            browser.await(java.time.Duration.ofSeconds(5)).until(d -> thinking.isDisplayed());
            assertEquals(folded.strip(), thinking.getText().strip());

            // kept with the conversation: after a reload the reply shows its folded thinking again
            browser.driver.navigate().refresh();
            page.awaitConnected();
            WebElement again = page.messages("assistant").getLast().findElement(By.cssSelector("details.reasoning"));
            assertNull(again.getDomAttribute("open"));
            assertTrue(String.valueOf(browser.js("return arguments[0].textContent", again.findElement(By.cssSelector(".reasoning-text"))))
                    .equals(folded));
        }
    }
}
