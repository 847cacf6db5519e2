package dev.parley.server.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves {@code hf:OWNER/REPO/FILE.gguf} model references: downloads the file once from the Hugging Face hub (or
 * any server with its URL layout, {@code {endpoint}/{owner}/{repo}/resolve/main/{file}}) into
 * {@code CACHE/hf/OWNER/REPO/FILE}, with a progress bar on stderr, resuming a partial download with an HTTP Range
 * request, and verifying its SHA-256 before the file is moved into place. A file in the cache is used as is, without
 * network access.
 *
 * <p>The expected SHA-256 comes from the hub's response headers: {@code X-Linked-Etag} (set for files stored in Git
 * LFS, which every GGUF on the hub is), else {@code ETag} when it is 64 hex digits; else from a {@code FILE.sha256}
 * sidecar next to the file (its first word). A file with none of these is refused: an unverified model is not mapped.
 */
public final class HfModelCache {
    public static final String PREFIX = "hf:";
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /** A parsed reference: OWNER/REPO and the file's path inside the repository. */
    public record Ref(String owner, String repo, String file) {
        public static Ref parse(String reference) {
            if (!reference.startsWith(PREFIX)) throw new IllegalArgumentException("not an hf: reference: " + reference);
            String[] parts = reference.substring(PREFIX.length()).split("/", 3);
            if (parts.length < 3 || !NAME.matcher(parts[0]).matches() || !NAME.matcher(parts[1]).matches())
                throw new IllegalArgumentException("expected hf:OWNER/REPO/FILE.gguf, got " + reference);
            for (String segment : parts[2].split("/"))
                if (!NAME.matcher(segment).matches() || segment.equals("..") || segment.equals("."))
                    throw new IllegalArgumentException("bad file path in " + reference + ": " + parts[2]);
            return new Ref(parts[0], parts[1], parts[2]);
        }

        @Override public String toString() { return PREFIX + owner + "/" + repo + "/" + file; }
    }

    private final URI endpoint;
    private final Path cacheRoot;
    private final String token;
    private final PrintStream progress;
    private final HttpClient http;

    /** @param token a hub access token for gated or private repositories (HF_TOKEN), or null */
    public HfModelCache(URI endpoint, Path cacheRoot, String token, PrintStream progress) {
        this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", "") + "/");
        this.cacheRoot = cacheRoot;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.progress = progress;
        // redirects are followed by hand: the Range header must survive them, the token must not leave the hub's host
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(20)).build();
    }

    /** From the environment: PARLEY_HF_ENDPOINT, XDG_CACHE_HOME (default ~/.cache), HF_TOKEN; progress on stderr. */
    public static HfModelCache fromEnvironment(PrintStream progress) {
        String endpoint = System.getenv("PARLEY_HF_ENDPOINT");
        return new HfModelCache(endpoint == null || endpoint.isBlank() ? DEFAULT_ENDPOINT : URI.create(endpoint),
                defaultCacheRoot(), System.getenv("HF_TOKEN"), progress);
    }

    /** {@code ${XDG_CACHE_HOME:-~/.cache}/parley}. */
    public static Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg == null || xdg.isBlank() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(xdg);
        return base.resolve("parley");
    }

    public Path cachedPath(Ref ref) {
        return cacheRoot.resolve("hf").resolve(ref.owner()).resolve(ref.repo()).resolve(ref.file());
    }

    /** The local file for {@code ref}, downloading and verifying it first unless it is already cached. */
    public Path resolve(Ref ref) {
        Path target = cachedPath(ref);
        if (Files.isRegularFile(target)) return target;
        try {
            Files.createDirectories(target.getParent());
            // two processes (say, two pods' init containers on one volume) must not write the same .part at once
            try (FileChannel lockFile = FileChannel.open(sibling(target, ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lockFile.lock()) {
                if (Files.isRegularFile(target)) return target; // the other process finished it meanwhile
                download(ref, target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("downloading " + ref + ": " + e.getMessage(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while downloading " + ref, e);
        }
    }

    private URI fileUri(Ref ref) {
        return endpoint.resolve(ref.owner() + "/" + ref.repo() + "/resolve/main/" + ref.file());
    }

    private void download(Ref ref, Path target) throws IOException, InterruptedException {
        URI uri = fileUri(ref);
        Path part = sibling(target, ".part");
        String expected = expectedSha256(uri);
        long have = Files.exists(part) ? Files.size(part) : 0;
        HttpResponse<InputStream> response = get(uri, have);
        long total;
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            if (status == 416) { // nothing after what we have: the part is complete (the checksum tells)
                if (have == 0) throw new IOException("HTTP 416 from " + uri + " for a download from the start");
                total = have;
            } else {
                if (status == 200 && have > 0) have = 0; // the server ignored the range: write from the start
                else if (status == 206) checkContentRange(response, have);
                else if (status != 200) throw new IOException("HTTP " + status + " from " + uri + describeStatus(status));
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                total = length < 0 ? -1 : have + length;
                if (have > 0) progress.printf("resuming %s at %s%n", ref, mib(have));
                else progress.printf("downloading %s%n", ref);
                copy(body, part, have, total);
            }
        }
        String actual = sha256(part);
        if (!actual.equals(expected)) {
            Files.deleteIfExists(part);
            throw new IOException("checksum mismatch for " + ref + ": expected sha256 " + expected + ", got " + actual
                    + " (the download was deleted; run again to retry)");
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        progress.printf("verified sha256 %s; cached at %s%n", actual, target);
    }

    private static String describeStatus(int status) {
        return switch (status) {
            case 401, 403 -> " (a gated or private repository needs HF_TOKEN)";
            case 404 -> " (no such repository or file)";
            default -> "";
        };
    }

    private static void checkContentRange(HttpResponse<?> response, long from) throws IOException {
        String range = response.headers().firstValue("Content-Range").orElse("");
        if (!range.startsWith("bytes " + from + "-"))
            throw new IOException("asked for bytes from " + from + " but the server sent Content-Range '" + range + "'");
    }

    /** GET with a Range from {@code from} (when > 0), following up to 5 redirects. */
    private HttpResponse<InputStream> get(URI uri, long from) throws IOException, InterruptedException {
        URI current = uri;
        for (int hop = 0; hop <= 5; hop++) {
            HttpRequest.Builder b = request(current, uri).GET();
            if (from > 0) b.header("Range", "bytes=" + from + "-");
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            Optional<String> location = r.headers().firstValue("Location");
            if (r.statusCode() / 100 == 3 && location.isPresent()) {
                r.body().close();
                current = current.resolve(location.get());
                continue;
            }
            return r;
        }
        throw new IOException("too many redirects from " + uri);
    }

    /** The token goes only to the hub's own host, never to the storage host it redirects to. */
    private HttpRequest.Builder request(URI uri, URI hubUri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("User-Agent", "parley");
        if (token != null && uri.getHost() != null && uri.getHost().equals(hubUri.getHost())) b.header("Authorization", "Bearer " + token);
        return b;
    }

    /** From the headers of the hub's own (unfollowed) response, else the .sha256 sidecar. */
    private String expectedSha256(URI uri) throws IOException, InterruptedException {
        HttpResponse<Void> head = http.send(request(uri, uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() >= 400) throw new IOException("HTTP " + head.statusCode() + " from " + uri + describeStatus(head.statusCode()));
        for (String header : new String[] {"X-Linked-Etag", "ETag"}) {
            Optional<String> sha = head.headers().firstValue(header).map(HfModelCache::etagValue).filter(v -> SHA256.matcher(v).matches());
            if (sha.isPresent()) return sha.get();
        }
        URI sidecar = URI.create(uri + ".sha256");
        HttpResponse<InputStream> r = get(sidecar, 0);
        try (InputStream body = r.body()) {
            if (r.statusCode() == 200) {
                String text = new String(body.readNBytes(4096), java.nio.charset.StandardCharsets.US_ASCII).strip();
                String first = text.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
                if (SHA256.matcher(first).matches()) return first;
            }
        }
        throw new IOException("the server publishes no SHA-256 for " + uri
                + " (no X-Linked-Etag or ETag with one, no .sha256 sidecar), so the download cannot be verified");
    }

    private static String etagValue(String etag) {
        String v = etag.strip();
        if (v.startsWith("W/")) v = v.substring(2);
        return v.replace("\"", "").toLowerCase(Locale.ROOT);
    }

    private void copy(InputStream body, Path part, long have, long total) throws IOException {
        StandardOpenOption mode = have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
            ProgressBar bar = new ProgressBar(progress, have, total);
            byte[] buf = new byte[1 << 16];
            int n;
            long done = have;
            while ((n = body.read(buf)) > 0) {
                out.write(buf, 0, n);
                done += n;
                bar.update(done);
            }
            bar.finish(done);
            if (total >= 0 && done != total) throw new IOException("the connection ended at " + done + " of " + total + " bytes (run "
                    + "again to resume)");
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static Path sibling(Path p, String suffix) {
        return p.resolveSibling(p.getFileName() + suffix);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /** {@code [#####.....]  42%  12.0/28.5 MiB  3.1 MiB/s}, redrawn at most 10 times a second with a carriage return. */
    private static final class ProgressBar {
        private final PrintStream out;
        private final long start, total;
        private final long t0 = System.nanoTime();
        private long lastDraw;

        ProgressBar(PrintStream out, long start, long total) {
            this.out = out;
            this.start = start;
            this.total = total;
        }

        void update(long done) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L) return;
            lastDraw = now;
            draw(done, now);
        }

        void finish(long done) {
            draw(done, System.nanoTime());
            out.println();
        }

        private void draw(long done, long now) {
            double seconds = Math.max(1e-3, (now - t0) / 1e9);
            String rate = mib((long) ((done - start) / seconds)) + "/s";
            if (total > 0) {
                int width = 30, filled = (int) (width * done / total);
                out.printf(Locale.ROOT, "\r[%s%s] %3d%%  %s/%s  %s ", "#".repeat(filled), ".".repeat(width - filled),
                        100 * done / total, mib(done).replace(" MiB", ""), mib(total), rate);
            } else {
                out.printf(Locale.ROOT, "\r%s  %s ", mib(done), rate);
            }
            out.flush();
        }
    }
}
