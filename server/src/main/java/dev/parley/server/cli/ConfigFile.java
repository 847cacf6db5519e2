package dev.parley.server.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --config FILE} for {@code parley serve}: settings named like the long options without dashes
 * ({@code port: 9000} or {@code max-running=16}), as flat YAML ({@code key: value}) or Java properties
 * ({@code key=value}); {@code #} starts a comment. Precedence is flag &gt; environment variable &gt; file &gt;
 * built-in default, so the file's settings become flags only for options given neither on the command line nor by
 * their {@code PARLEY_*} variable. It runs before picocli parses (picocli's own default provider would rank the file
 * above the environment).
 */
final class ConfigFile {
    private static final Pattern ENV = Pattern.compile("\\$\\{(PARLEY_[A-Z0-9_]+)");

    private ConfigFile() {}

    /** {@code args} with the config file's settings added; unchanged without {@code --config}. */
    static String[] expand(String[] args, CommandSpec serve, Map<String, String> env) {
        if (args.length == 0 || !args[0].equals(serve.name())) return args;
        Path file = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) file = Path.of(args[i + 1]);
            else if (args[i].startsWith("--config=")) file = Path.of(args[i].substring("--config=".length()));
        }
        if (file == null) return args;
        Map<String, String> settings = read(file);
        List<String> out = new ArrayList<>(List.of(args));
        for (var e : settings.entrySet()) {
            OptionSpec option = serve.findOption("--" + e.getKey().replace('_', '-'));
            if (option == null || option.longestName().equals("--config"))
                throw new IllegalArgumentException(file + ": unknown setting '" + e.getKey() + "' (use the long option names of parley "
                        + "serve --help)");
            if (givenOnCommandLine(args, option) || setInEnvironment(option, env)) continue;
            out.add(option.longestName() + "=" + e.getValue());
        }
        return out.toArray(String[]::new);
    }

    private static boolean givenOnCommandLine(String[] args, OptionSpec option) {
        for (String a : args) for (String name : option.names()) if (a.equals(name) || a.startsWith(name + "=")) return true;
        return false;
    }

    private static boolean setInEnvironment(OptionSpec option, Map<String, String> env) {
        String declared = option.defaultValueString(false); // as written, ${PARLEY_X:-...} not yet resolved
        if (declared == null) return false;
        Matcher m = ENV.matcher(declared);
        return m.find() && env.get(m.group(1)) != null;
    }

    /** key → value, in file order. A YAML list ({@code [a, b]}) becomes a comma-separated value. */
    static Map<String, String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(new IOException("cannot read config file " + file + ": " + e.getMessage(), e));
        }
        boolean yaml = file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.ya?ml");
        Map<String, String> out = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#") || line.equals("---")) continue;
            int sep = yaml ? line.indexOf(':') : firstOf(line, '=', ':');
            if (sep <= 0) throw new IllegalArgumentException(file + ":" + (n + 1) + ": expected key" + (yaml ? ": " : "=") + "value, got '" + line + "'");
            String key = line.substring(0, sep).strip();
            String value = line.substring(sep + 1).strip();
            if (yaml) value = yamlScalar(value);
            out.put(key, value);
        }
        return out;
    }

    private static int firstOf(String s, char a, char b) {
        int i = s.indexOf(a), j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    /** Strips a trailing comment and quotes; {@code [a, b]} → {@code a,b}. Nested YAML is not supported. */
    private static String yamlScalar(String v) {
        if (v.startsWith("\"") || v.startsWith("'")) {
            int end = v.indexOf(v.charAt(0), 1);
            if (end > 0) return v.substring(1, end);
        }
        int comment = v.indexOf(" #");
        if (comment >= 0) v = v.substring(0, comment).strip();
        if (v.startsWith("[") && v.endsWith("]"))
            return String.join(",", v.substring(1, v.length() - 1).split("\\s*,\\s*")).strip();
        return v;
    }
}
