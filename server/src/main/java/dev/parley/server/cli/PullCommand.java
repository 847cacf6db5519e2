package dev.parley.server.cli;

import dev.parley.server.model.HfModelCache;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley pull hf:OWNER/REPO/FILE.gguf}: only downloads (and verifies) into the cache, then prints the local
 * path on stdout. Kubernetes init containers use it so the serving container starts from a warm cache.
 */
@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download a model into the local cache without serving it; prints the cached file's path.",
                "Resumes a partial download and verifies the file's SHA-256 published by the hub. HF_TOKEN is sent for gated repositories."})
final class PullCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Parameters(paramLabel = "hf:OWNER/REPO/FILE.gguf", description = "the model to download") String reference;
    @Mixin HfOptions hf;

    @Override public Integer call() {
        HfModelCache.Ref ref;
        try {
            ref = HfModelCache.Ref.parse(reference);
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("parley pull: " + e.getMessage());
            return 2;
        }
        var path = hf.cache(System.err).resolve(ref); // failures propagate to the CLI's one-line error handler
        spec.commandLine().getOut().println(path);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
