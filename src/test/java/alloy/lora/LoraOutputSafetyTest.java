package alloy.lora;

import static alloy.lora.LoraFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code alloy lora fold|combine} never write over what they read, whatever {@code --overwrite} says. */
class LoraOutputSafetyTest {

    @TempDir Path dir;

    static String[] run(String... args) {
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8); PrintStream o = new PrintStream(OutputStream.nullOutputStream())) {
            System.setErr(e);
            System.setOut(o);
            int code = Main.run(args);
            return new String[] {Integer.toString(code), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    static TreeMap<String, String> snapshot(Path root) throws Exception {
        TreeMap<String, String> all = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                all.put(root.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return all;
    }

    private static void refused(String[] r, String phrase) {
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains(phrase), r[1]);
    }

    @Test
    void foldIntoTheBaseOrAnAdapterIsRefused() throws Exception {
        Path base = base(dir.resolve("base"));
        Path a = adapter(dir.resolve("a"), config(4, 8), attention(4, 1));
        var before = snapshot(dir);
        refused(run("lora", "fold", "--base", base.toString(), a.toString(), "-o", base.toString(), "--overwrite"), "output contains the input");
        refused(run("lora", "fold", "--base", base.toString(), a.toString(), "-o", a.toString(), "--overwrite"), "output contains the input");
        refused(run("lora", "fold", "--base", base.toString(), a.toString(), "-o", dir.toString(), "--overwrite"), "output contains the input");
        refused(run("lora", "fold", "--base", base.toString(), a.toString(), "-o", "", "--overwrite"), "empty name");
        assertEquals(before, snapshot(dir));
        String[] ok = run("lora", "fold", "--base", base.toString(), a.toString(), "-o", dir.resolve("folded").toString());
        assertEquals("0", ok[0], ok[1]);
    }

    @Test
    void combineIntoAnAdapterIsRefused() throws Exception {
        Path a = adapter(dir.resolve("a"), config(4, 8), attention(4, 1));
        Path b = adapter(dir.resolve("b"), config(4, 8), attention(4, 2));
        var before = snapshot(dir);
        refused(run("lora", "combine", "--method", "linear", a + ":1", b + ":1", "-o", b.toString(), "--overwrite"), "output contains the input");
        refused(run("lora", "combine", "--method", "linear", a + ":1", b + ":1", "-o", dir.toString(), "--overwrite"), "output contains the input");
        assertEquals(before, snapshot(dir));
        String[] ok = run("lora", "combine", "--method", "linear", a + ":1", b + ":1", "-o", dir.resolve("ab").toString());
        assertEquals("0", ok[0], ok[1]);
    }
}
