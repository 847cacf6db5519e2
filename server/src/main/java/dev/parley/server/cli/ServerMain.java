package dev.parley.server.cli;

import dev.parley.inference.cli.ParleyCli;
import picocli.CommandLine;

/**
 * Entry point of the runnable {@code parley} CLI: the engine's commands (info, tokenize, generate, ...) plus
 * {@code serve}, which lives here because only this module has the server.
 */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) {
        CommandLine cli = commandLine();
        String[] expanded;
        try {
            expanded = ConfigFile.expand(args, cli.getSubcommands().get("serve").getCommandSpec(), System.getenv());
        } catch (RuntimeException e) {
            System.err.println("parley serve: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(cli.execute(expanded));
    }

    public static CommandLine commandLine() {
        // One-line log records (JUL's default takes two lines each); an explicit -D setting still wins.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null)
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
        CommandLine cli = ParleyCli.commandLine();
        cli.addSubcommand("serve", new ServeCommand());
        cli.addSubcommand("pull", new PullCommand());
        return cli;
    }
}
