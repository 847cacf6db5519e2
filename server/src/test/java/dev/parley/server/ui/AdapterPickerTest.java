package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.inference.forge.SyntheticAdapter;
import dev.parley.inference.model.LoraAdapter.Projection;
import dev.parley.inference.model.Model;
import dev.parley.inference.testing.Shared;
import dev.parley.server.config.ServerConfig;
import dev.parley.server.model.ServingModel;
import dev.parley.server.testing.TestServer;
import dev.parley.server.testing.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/** The settings' model picker in headless Chromium: filled from /v1/models, and the reply comes from the picked adapter. */
class AdapterPickerTest {
    @TempDir Path dir;

    @Test void theSettingsPickALoraAdapterTheRepliesComeFrom() throws Exception {
        Browser.requireChromium();
        Path adapter = dir.resolve("story.gguf");
        try (Model base = Model.load(Shared.stories260K())) {
            new SyntheticAdapter(8, 16f, 0.3f, List.of(Projection.values()), 1).write(base, adapter);
        }
        try (TestServer server = TestServer.start(ServerConfig.forTests(), Shared.stories260K(), new ServingModel.Options().lora("story", adapter));
             Browser browser = Browser.open(1200, 800)) {
            ChatPage page = new ChatPage(browser, server.url("/"));
            page.open("""
                    {"temperature":0,"topP":0.95,"maxTokens":16,"logprobs":0}""");
            browser.driver.findElement(By.id("open-settings")).click();
            WebElement picker = browser.driver.findElement(By.name("adapter"));
            browser.await(java.time.Duration.ofSeconds(10)).until(d -> picker.isDisplayed());
            Select select = new Select(picker);
            assertEquals(List.of("stories260K (base model)", "story (LoRA on stories260K)"), select.getOptions().stream().map(WebElement::getText).toList());
            select.selectByValue("story");
            browser.driver.findElement(By.cssSelector("#settings button.primary")).click();

            page.send("Once upon a time");
            page.awaitIdle();
            String reply = page.texts("assistant").getFirst();
            assertEquals("story", page.sentFrames("chat").getFirst().get("params") instanceof java.util.Map<?, ?> p ? p.get("adapter") : null);
            String viaAdapter = wsReply(server, "story"), viaBase = wsReply(server, "");
            assertNotEquals(viaBase, viaAdapter, "the adapter changes the reply");
            assertEquals(viaAdapter.strip(), reply.strip(), "the page's reply is the adapter's");
            assertTrue(browser.driver.navigate() != null);
            // the choice is stored with the settings
            browser.driver.navigate().refresh();
            page.awaitConnected();
            browser.driver.findElement(By.id("open-settings")).click();
            WebElement again = browser.driver.findElement(By.name("adapter"));
            browser.await(java.time.Duration.ofSeconds(10)).until(d -> new Select(again).getOptions().size() == 2);
            assertEquals("story", new Select(again).getFirstSelectedOption().getDomProperty("value"));
            assertFalse(again.getDomProperty("value").isEmpty());
        }
    }

    /** The reply a WebSocket client gets with the page's settings and {@code adapter}. */
    private static String wsReply(TestServer server, String adapter) throws Exception {
        try (WsClient c = WsClient.connect(server.vertx, server.port, "/v1/chat/ws")) {
            c.next();
            c.send(new JsonObject().put("type", "chat").put("id", "r")
                    .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "Once upon a time")))
                    .put("params", new JsonObject().put("temperature", 0).put("top_p", 0.95).put("max_tokens", 16).put("adapter", adapter)));
            return c.awaitEnd("r").text.toString();
        }
    }
}
