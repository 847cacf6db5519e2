package dev.parley.server.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.parley.server.config.ServerConfig;
import dev.parley.server.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With API keys configured, the page sends the key from Settings in the WebSocket subprotocol header
 * ({@code parley.api-key.KEY}), never in the URL, where proxies and access logs would keep it.
 */
class ApiKeyInBrowserTest {
    @Test void theKeyTravelsAsASubprotocolNotInTheUrl() {
        Browser.requireChromium();
        ServerConfig keyed = ServerConfig.forTests().toBuilder().apiKeys(Set.of("ui-key-7")).build();
        try (TestServer server = TestServer.start(keyed); Browser browser = Browser.open(1200, 800)) {
            // records every WebSocket the page opens, from the first script of every document on
            browser.driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", """
                    window.__sockets = [];
                    const Native = window.WebSocket;
                    window.WebSocket = class extends Native {
                      constructor(url, protocols) {
                        super(url, protocols);
                        window.__sockets.push({ url: String(url), protocols: [].concat(protocols ?? []) });
                      }
                    };"""));
            // connected at all proves the server accepted the key (without one the upgrade is refused with 401)
            new ChatPage(browser, server.url("/")).open("""
                    {"maxTokens":8,"apiKey":"ui-key-7"}""");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sockets = (List<Map<String, Object>>) browser.js("return window.__sockets");
            assertFalse(sockets.isEmpty(), "the page opened no WebSocket");
            Map<String, Object> last = sockets.getLast();
            assertFalse(String.valueOf(last.get("url")).contains("ui-key-7"), "the key is in the URL: " + last.get("url"));
            assertEquals(List.of("parley.v1", "parley.api-key.ui-key-7"), last.get("protocols"));
        }
    }
}
