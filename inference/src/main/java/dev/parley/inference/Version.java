package dev.parley.inference;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The Parley version, filtered into a resource at build time. */
public final class Version {
    private Version() {}

    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
