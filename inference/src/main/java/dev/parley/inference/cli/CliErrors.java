package dev.parley.inference.cli;

import dev.parley.inference.gguf.GgufException;
import dev.parley.inference.template.TemplateException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Turns the engine's own errors (bad files, bad input) into one line on stderr and exit code 2 — never a stack
 * trace. Anything else is a bug, reported as such with exit code 70.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    static final int USAGE = 2;

    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof TemplateException) { // e.g. generate --chat with a conversation the model's template refuses
            cmd.getErr().println("parley: chat template: " + e.getMessage());
            return USAGE;
        }
        if (e instanceof GgufException || e instanceof IllegalArgumentException || e instanceof UsageException) {
            cmd.getErr().println("parley: " + e.getMessage());
            return USAGE;
        }
        if (e instanceof UncheckedIOException u) {
            cmd.getErr().println("parley: " + u.getCause().getMessage());
            return USAGE;
        }
        cmd.getErr().println("parley: internal error: " + e);
        return 70;
    }

    /** A problem with what the user asked for. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message, null, false, false);
        }
    }
}
