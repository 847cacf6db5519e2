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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models shipped inside Parley, both tiny Llamas made by Parley itself from the King James Bible by
 * inference/scripts/make-kjv-chat.sh (see inference/MODEL_CARD.md): {@code parley-kjv-chat}, the default, answers in
 * the assistant's turn and ends it; {@code parley-kjv}, the base it was tuned from, only continues text. Commands that
 * take a model accept either name in place of a file.
 */
public final class DefaultModel {
    /** A built-in model: the name clients see (the extracted file carries a hash in its name), its resource, what it is. */
    public record BuiltIn(String name, String resource, String description) {
        /**
         * A real file holding the model (mmap needs one): the resource itself when it is a plain file (running from
         * target/classes), else a copy extracted once into {@code ${XDG_CACHE_HOME:-~/.cache}/parley/}, named by its hash.
         */
        public Path path() {
            return EXTRACTED.computeIfAbsent(name, n -> extract(this));
        }
    }

    /** The default model's name and description (what {@code parley serve} without a model serves); constants for annotations. */
    public static final String NAME = "parley-kjv-chat", DESCRIPTION = NAME + ": a tiny demo model trained and tuned by Parley on the "
            + "King James Bible; it answers briefly in the Bible's words and ends its turn, but knows nothing beyond them and does not "
            + "follow other instructions";
    public static final String BASE_NAME = "parley-kjv";

    public static final BuiltIn CHAT = new BuiltIn(NAME, "/dev/parley/inference/default-model/parley-kjv-chat.gguf", DESCRIPTION);
    public static final BuiltIn BASE = new BuiltIn(BASE_NAME, "/dev/parley/inference/default-model/parley-kjv.gguf",
            BASE_NAME + ": a tiny demo model trained by Parley on the King James Bible; it continues text and does not follow instructions");
    public static final List<BuiltIn> ALL = List.of(CHAT, BASE);

    private static final Map<String, Path> EXTRACTED = new ConcurrentHashMap<>();

    private DefaultModel() {}

    /** The default model's file. */
    public static Path path() {
        return CHAT.path();
    }

    /** The built-in model of that name, or null. */
    public static BuiltIn named(String name) {
        for (BuiltIn b : ALL) if (b.name().equals(name)) return b;
        return null;
    }

    private static Path extract(BuiltIn model) {
        URL url = DefaultModel.class.getResource(model.resource());
        if (url == null) throw new IllegalStateException("the built-in model resource " + model.resource() + " is missing from the classpath");
        try {
            if (url.getProtocol().equals("file")) return Path.of(url.toURI());
            byte[] bytes;
            try (InputStream in = url.openStream()) {
                bytes = in.readAllBytes();
            }
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 8);
            Path dir = cacheDir().resolve("parley");
            Path target = dir.resolve(model.name() + "-" + hash + ".gguf");
            if (!Files.isRegularFile(target) || Files.size(target) != bytes.length) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, model.name() + "-", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the built-in model " + model.name(), e);
        } catch (URISyntaxException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    }
}
