package dev.parley.server.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.parley.inference.testing.Shared;
import dev.parley.server.cli.ServerMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * hf: model references against a local server that mimics the hub: {@code /{owner}/{repo}/resolve/main/{file}}
 * answers 302 to a storage URL with the file's SHA-256 in X-Linked-Etag (as huggingface.co does for LFS files), and
 * the storage URL serves the bytes with Range support.
 */
class HfModelCacheTest {
    @TempDir Path cache;
    HttpServer hub;
    byte[] model;
    /** What the hub claims the SHA-256 is (the real one unless a test lies). */
    volatile String advertisedSha;
    volatile boolean linkedEtag = true;
    volatile boolean sidecar;
    /** The next full download is cut off halfway (the connection drops). */
    final AtomicBoolean dropNextDownload = new AtomicBoolean();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    int downloads;

    @BeforeEach void startHub() throws Exception {
        model = Files.readAllBytes(Shared.stories260K());
        advertisedSha = sha256(model);
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", this::handle);
        hub.start();
    }

    @AfterEach void stopHub() {
        hub.stop(0);
    }

    private String endpoint() { return "http://127.0.0.1:" + hub.getAddress().getPort(); }

    private HfModelCache cache(ByteArrayOutputStream progress) {
        return new HfModelCache(URI.create(endpoint()), cache, null, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        try (ex) {
            if (path.equals("/karpathy/tinyllamas/resolve/main/stories260K.gguf")) {
                if (linkedEtag) ex.getResponseHeaders().add("X-Linked-Etag", "\"" + advertisedSha + "\"");
                ex.getResponseHeaders().add("ETag", "\"0123abcd\""); // the git blob id: not a sha256, ignored
                ex.getResponseHeaders().add("Location", "/storage/blob-1?signature=x");
                ex.sendResponseHeaders(302, -1);
            } else if (path.equals("/karpathy/tinyllamas/resolve/main/stories260K.gguf.sha256") && sidecar) {
                byte[] body = (advertisedSha + "  stories260K.gguf\n").getBytes(StandardCharsets.US_ASCII);
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } else if (path.equals("/storage/blob-1") && ex.getRequestMethod().equals("GET")) {
                serveBytes(ex);
            } else {
                ex.sendResponseHeaders(404, -1);
            }
        }
    }

    private void serveBytes(HttpExchange ex) throws IOException {
        downloads++;
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) {
            ranges.add(range);
            from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (model.length - 1) + "/" + model.length);
            ex.sendResponseHeaders(206, model.length - from);
        } else {
            ex.sendResponseHeaders(200, model.length);
        }
        OutputStream out = ex.getResponseBody();
        if (dropNextDownload.getAndSet(false)) {
            out.write(model, from, (model.length - from) / 2);
            out.flush();
            throw new IOException("simulated dropped connection"); // the server closes the socket mid-body
        }
        out.write(model, from, model.length - from);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test void downloadsOnceVerifiesAndTheFileLoadsAsAModel() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        HfModelCache c = cache(progress);
        var ref = HfModelCache.Ref.parse("hf:karpathy/tinyllamas/stories260K.gguf");
        Path p = c.resolve(ref);
        assertEquals(cache.resolve("hf/karpathy/tinyllamas/stories260K.gguf"), p);
        assertArrayEquals(model, Files.readAllBytes(p));
        String log = progress.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("100%") && log.contains("verified sha256 " + advertisedSha), log);
        assertEquals(1, downloads);
        // cached: no second download
        assertEquals(p, c.resolve(ref));
        assertEquals(1, downloads);
        try (ServingModel m = ServingModel.load(p, new ServingModel.Options())) {
            assertEquals("stories260K", m.name());
        }
    }

    @Test void anInterruptedDownloadResumesWithARangeRequest() throws Exception {
        dropNextDownload.set(true);
        HfModelCache c = cache(new ByteArrayOutputStream());
        var ref = HfModelCache.Ref.parse("hf:karpathy/tinyllamas/stories260K.gguf");
        assertThrows(RuntimeException.class, () -> c.resolve(ref));
        Path part = cache.resolve("hf/karpathy/tinyllamas/stories260K.gguf.part");
        long partial = Files.size(part);
        assertTrue(partial > 0 && partial < model.length, "a partial file is kept: " + partial);
        assertFalse(Files.exists(cache.resolve("hf/karpathy/tinyllamas/stories260K.gguf")));

        Path p = c.resolve(ref);
        assertEquals(List.of("bytes=" + partial + "-"), ranges, "only the rest was requested");
        assertArrayEquals(model, Files.readAllBytes(p));
        assertFalse(Files.exists(part));
    }

    @Test void aChecksumMismatchIsRefusedAndNothingIsCached() throws Exception {
        advertisedSha = "0".repeat(64);
        HfModelCache c = cache(new ByteArrayOutputStream());
        var e = assertThrows(RuntimeException.class, () -> c.resolve(HfModelCache.Ref.parse("hf:karpathy/tinyllamas/stories260K.gguf")));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        Path dir = cache.resolve("hf/karpathy/tinyllamas");
        assertFalse(Files.exists(dir.resolve("stories260K.gguf")));
        assertFalse(Files.exists(dir.resolve("stories260K.gguf.part")), "the bad bytes are not kept for a resume");
    }

    @Test void aSha256SidecarIsUsedWhenTheHeadersHaveNone() throws Exception {
        linkedEtag = false;
        sidecar = true;
        Path p = cache(new ByteArrayOutputStream()).resolve(HfModelCache.Ref.parse("hf:karpathy/tinyllamas/stories260K.gguf"));
        assertArrayEquals(model, Files.readAllBytes(p));
        sidecar = false;
        Files.delete(p);
        var e = assertThrows(RuntimeException.class, () -> cache(new ByteArrayOutputStream()).resolve(HfModelCache.Ref.parse("hf:karpathy/tinyllamas/stories260K.gguf")));
        assertTrue(e.getMessage().contains("cannot be verified"), e.getMessage());
    }

    @Test void pullSubcommandDownloadsAndPrintsThePath() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = ServerMain.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int rc = cli.execute("pull", "--hf-endpoint", endpoint(), "--cache-dir", cache.toString(), "hf:karpathy/tinyllamas/stories260K.gguf");
        assertEquals(0, rc, err.toString());
        assertEquals(cache.resolve("hf/karpathy/tinyllamas/stories260K.gguf").toString(), out.toString().strip());
        assertEquals(2, cli.execute("pull", "--cache-dir", cache.toString(), "hf:just-a-name"));
    }

    @Test void referencesAreValidated() {
        var ref = HfModelCache.Ref.parse("hf:TheBloke/Llama-2-7B-GGUF/sub/llama-2-7b.Q4_K_M.gguf");
        assertEquals("sub/llama-2-7b.Q4_K_M.gguf", ref.file());
        for (String bad : List.of("hf:owner/repo", "hf:owner/repo/../x.gguf", "hf:/repo/x.gguf", "owner/repo/x.gguf"))
            assertThrows(IllegalArgumentException.class, () -> HfModelCache.Ref.parse(bad), bad);
    }
}
