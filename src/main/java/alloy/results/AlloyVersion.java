package alloy.results;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The Alloy version from the pom, through a resource Maven filters at build time. */
public final class AlloyVersion {
    private static final String VERSION = load();

    private AlloyVersion() {}

    /** e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when the classes were built without Maven's resource filtering. */
    public static String get() { return VERSION; }

    private static String load() {
        try (InputStream in = AlloyVersion.class.getResourceAsStream("alloy-version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "").strip();
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
