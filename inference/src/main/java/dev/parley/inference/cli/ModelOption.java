package dev.parley.inference.cli;

import dev.parley.inference.model.DefaultModel;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code --model} option of the commands that run a model. Without it they use the built-in demo model, as
 * {@code parley serve} does, and say so on stderr (stdout stays clean for {@code --json}).
 */
final class ModelOption {
    @Option(names = "--model", paramLabel = "M", description = "GGUF model file, or a built-in model's name: " + DefaultModel.NAME
            + " (the default) or " + DefaultModel.BASE_NAME) Path path;

    @Spec(Spec.Target.MIXEE) CommandSpec command;

    /** The model file to load: the one given, the built-in one it names (when no such file exists), or the default one. */
    Path resolve() {
        DefaultModel.BuiltIn named = path == null || Files.exists(path) ? null : DefaultModel.named(path.toString());
        if (named != null) return named.path();
        if (path != null) return path;
        command.commandLine().getErr().println("parley " + command.name() + ": no --model given; using the built-in "
                + DefaultModel.DESCRIPTION);
        return DefaultModel.path();
    }
}
