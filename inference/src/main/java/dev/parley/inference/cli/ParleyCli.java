package dev.parley.inference.cli;

import dev.parley.inference.Version;
import dev.parley.inference.train.TrainCommand;
import dev.parley.inference.train.TuneCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code parley} command line. */
@Command(name = "parley", mixinStandardHelpOptions = true, versionProvider = ParleyCli.VersionProvider.class,
        description = "Parley: a JVM-native LLM engine and chat server.",
        subcommands = {InfoCommand.class, TokenizeCommand.class, TemplateCommand.class, LogitsCommand.class,
                GenerateCommand.class, BenchCommand.class, ForgeCommand.class, ForgeLoraCommand.class, TrainCommand.class, TuneCommand.class,
                CommandLine.HelpCommand.class})
public final class ParleyCli implements Runnable {

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() { return new String[] {"parley " + Version.get()}; }
    }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new ParleyCli());
        cmd.setExecutionExceptionHandler(new CliErrors());
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }
}
