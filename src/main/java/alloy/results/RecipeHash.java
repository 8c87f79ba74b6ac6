package alloy.results;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The name a recipe is stored under: the first 12 hex digits of the SHA-256 of its canonical YAML text (UTF-8).
 * 48 bits keep file names and CSV columns short; a collision needs about 16 million distinct recipes in one
 * run, and {@link RunWriter#recipe} refuses one rather than overwrite.
 */
public final class RecipeHash {
    public static final int LENGTH = 12;

    private RecipeHash() {}

    public static String of(String canonicalYaml) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canonicalYaml.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256, which every Java platform must provide", e);
        }
    }
}
