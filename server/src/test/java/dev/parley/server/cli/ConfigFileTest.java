package dev.parley.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code parley serve --config FILE}: flags beat environment variables, which beat the file. */
class ConfigFileTest {
    @TempDir Path dir;

    private static ServeCommand parse(String... args) {
        CommandLine cli = ServerMain.commandLine();
        CommandLine serve = cli.getSubcommands().get("serve");
        cli.parseArgs(ConfigFile.expand(args, serve.getCommandSpec(), Map.of("PARLEY_MAX_RUNNING", "3")));
        return serve.getCommand();
    }

    @Test void yamlSettingsApplyUnlessAFlagOrTheEnvironmentSetsThem() throws Exception {
        Path yaml = dir.resolve("parley.yaml");
        Files.writeString(yaml, """
                # parley serve settings
                port: 9000
                session-ttl: 60        # seconds
                max_running: 32
                allowed-origins: [https://a.example, https://b.example]
                chat-template: "/etc/parley/template.jinja"
                """);
        CommandLine serve = ServerMain.commandLine().getSubcommands().get("serve");
        List<String> expanded = List.of(ConfigFile.expand(new String[] {"serve", "--config", yaml.toString(), "--port", "9100"},
                serve.getCommandSpec(), Map.of("PARLEY_MAX_RUNNING", "3")));
        assertTrue(expanded.contains("--session-ttl=60"), expanded.toString());
        assertTrue(expanded.stream().noneMatch(a -> a.startsWith("--port=")), "the flag wins: " + expanded);
        assertTrue(expanded.stream().noneMatch(a -> a.startsWith("--max-running=")), "the environment wins: " + expanded);

        ServeCommand c = parse("serve", "--config", yaml.toString(), "--port", "9100");
        assertEquals(9100, c.port);
        assertEquals(60, c.sessionTtl);
        assertEquals(List.of("https://a.example", "https://b.example"), c.allowedOrigins);
        assertEquals(Path.of("/etc/parley/template.jinja"), c.chatTemplate);
    }

    @Test void propertiesFilesAndErrors() throws Exception {
        Path props = dir.resolve("parley.properties");
        Files.writeString(props, "port=9200\nmax-waiting = 5\n");
        ServeCommand c = parse("serve", "--config=" + props);
        assertEquals(9200, c.port);
        assertEquals(5, c.maxWaiting);

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "prot: 1\n");
        CommandLine serve = ServerMain.commandLine().getSubcommands().get("serve");
        var e = assertThrows(IllegalArgumentException.class,
                () -> ConfigFile.expand(new String[] {"serve", "--config", bad.toString()}, serve.getCommandSpec(), Map.of()));
        assertTrue(e.getMessage().contains("unknown setting 'prot'"), e.getMessage());
    }
}
