package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import picocli.CommandLine;

/**
 * The README's ```bash blocks, read by {@code scripts/check-readme --list} (one extractor for this test and the
 * runner). Always: every {@code scripts/alloy} command parses with the real command line (no flag or
 * subcommand a newcomer would see refused), every other command names a script that exists, and every
 * repository path a command reads exists or was written by an earlier command. With
 * {@code -Dalloy.readme.run=true} ({@code scripts/check-readme} directly is the same run) every command runs
 * as written in a fresh clone and must exit 0.
 */
class ReadmeCommandsTest {

    /** Folders of the repository whose paths a README command may read. */
    private static final List<String> REPO_ROOTS = List.of("configs/", "models/", "proxy-tasks/", "results/", "scripts/");

    private static List<String> commands() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("scripts/check-readme", "--list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "scripts/check-readme --list did not finish");
        assertEquals(0, p.exitValue(), "scripts/check-readme --list failed:\n" + out);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** Shell words of one command, leading VAR=value settings and a trailing comment dropped (README commands use no quoting). */
    private static List<String> words(String command) {
        List<String> w = new ArrayList<>();
        for (String t : command.trim().split("\\s+")) {
            if (t.startsWith("#")) break;
            if (w.isEmpty() && t.matches("[A-Za-z_][A-Za-z0-9_]*=.*")) continue;
            w.add(t);
        }
        return w;
    }

    @Test
    void extractsJoinedCommandsFromEveryBashBlock() throws Exception {
        List<String> cmds = commands();
        assertTrue(cmds.size() >= 20, "expected the README's commands, found " + cmds.size());
        assertEquals(List.of("scripts/demo", "scripts/test"), cmds.subList(0, 2).stream().map(c -> words(c).get(0)).toList(),
                "the two commands come first");
        for (String c : cmds) assertFalse(c.contains("\\"), "continuation not joined: " + c);
        assertTrue(cmds.stream().anyMatch(c -> c.startsWith("scripts/alloy inspect maven:") && c.contains("e5-small-v2")),
                "a command continued over three lines is one command");
    }

    @Test
    void everyCommandParsesAndReadsPathsThatExist() throws Exception {
        Set<String> written = new HashSet<>();
        for (String c : commands()) {
            List<String> w = words(c);
            String script = w.get(0);
            assertTrue(script.startsWith("scripts/") && Files.isExecutable(Path.of(script)), "README runs " + script + ", which is not an executable script");
            if (script.equals("scripts/alloy")) {
                List<String> args = w.subList(1, w.size());
                try {
                    new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
                } catch (CommandLine.ParameterException e) {
                    throw new AssertionError("README command does not parse: " + c + "\n  " + e.getMessage(), e);
                }
            }
            for (int i = 1; i < w.size(); i++) {
                for (String token : w.get(i).split(",")) {
                    String path = token.contains(":") && !token.startsWith("maven:") ? token.substring(0, token.lastIndexOf(':')) : token;
                    if (REPO_ROOTS.stream().noneMatch(path::startsWith)) continue;
                    boolean output = i > 1 && List.of("-o", "--out", "--results", "--save-model").contains(w.get(i - 1))
                            || script.equals("scripts/alloy") && w.get(1).equals("merge") && i == 3 && !path.endsWith(".yaml")
                            || script.equals("scripts/screenshot") && i == 2;
                    if (output) {
                        written.add(path);
                    } else {
                        assertTrue(Files.exists(Path.of(path)) || written.stream().anyMatch(path::startsWith),
                                "README command reads " + path + ", which neither exists nor is written by an earlier command: " + c);
                    }
                }
            }
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "alloy.readme.run", matches = "true")
    void everyCommandRunsInAFreshClone() throws Exception {
        Process p = new ProcessBuilder("scripts/check-readme").inheritIO().start();
        assertTrue(p.waitFor(90, TimeUnit.MINUTES), "README commands still running after 90 minutes");
        assertEquals(0, p.exitValue(), "a README command failed (see the lines above)");
    }
}
