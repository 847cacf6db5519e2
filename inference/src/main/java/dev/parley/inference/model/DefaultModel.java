package dev.parley.inference.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The model shipped inside Parley: a tiny Llama trained by {@code parley train} on the King James Bible (see
 * inference/MODEL_CARD.md). It continues text; it does not follow instructions.
 */
public final class DefaultModel {
    public static final String RESOURCE = "/dev/parley/inference/default-model/parley-kjv.gguf";
    /** The name clients see (the extracted file carries a hash in its name). */
    public static final String NAME = "parley-kjv";
    public static final String DESCRIPTION = "parley-kjv: a tiny demo model trained by Parley on the King James Bible; it continues text and does not follow instructions";

    private static Path cached;

    private DefaultModel() {}

    /**
     * A real file holding the model (mmap needs one): the resource itself when it is a plain file (running from
     * target/classes), else a copy extracted once into {@code ${XDG_CACHE_HOME:-~/.cache}/parley/}, named by its hash.
     */
    public static synchronized Path path() {
        if (cached != null) return cached;
        URL url = DefaultModel.class.getResource(RESOURCE);
        if (url == null) throw new IllegalStateException("the default model resource " + RESOURCE + " is missing from the classpath");
        try {
            if (url.getProtocol().equals("file")) return cached = Path.of(url.toURI());
            byte[] bytes;
            try (InputStream in = url.openStream()) {
                bytes = in.readAllBytes();
            }
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path dir = cacheDir().resolve("parley");
            Path target = dir.resolve("parley-kjv-" + hash + ".gguf");
            if (!Files.isRegularFile(target) || Files.size(target) != bytes.length) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "parley-kjv-", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return cached = target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the default model", e);
        } catch (URISyntaxException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    }
}
