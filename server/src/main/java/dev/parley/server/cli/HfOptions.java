package dev.parley.server.cli;

import dev.parley.server.model.HfModelCache;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where {@code hf:} model references are downloaded from and cached: shared by {@code serve} and {@code pull}. */
final class HfOptions {
    @Option(names = "--hf-endpoint", paramLabel = "URL", defaultValue = "${PARLEY_HF_ENDPOINT:-https://huggingface.co}",
            description = "Hugging Face hub (or mirror) that hf:OWNER/REPO/FILE references download from (default ${DEFAULT-VALUE}) "
                    + "[PARLEY_HF_ENDPOINT]")
    URI endpoint;
    @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = "${PARLEY_CACHE_DIR}",
            description = "download cache; hf: files go to DIR/hf/OWNER/REPO/FILE (default $XDG_CACHE_HOME/parley, else ~/.cache/parley) "
                    + "[PARLEY_CACHE_DIR]")
    Path cacheDir;

    HfModelCache cache(PrintStream progress) {
        return new HfModelCache(endpoint, cacheDir != null ? cacheDir : HfModelCache.defaultCacheRoot(), System.getenv("HF_TOKEN"), progress);
    }
}
