package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.merge.MergeMethods;
import alloy.results.Run;
import alloy.results.RunReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each command through picocli, as a user runs it: exit codes, what it prints, what it writes. On the
 * decoder family, whose models are a few MB, so that every command runs for real in seconds.
 */
class CommandsTest {

    static final String FAMILY = Path.of("models", "decoder-family").toAbsolutePath().toString();

    @TempDir Path dir;

    record Out(int code, String out, String err) {}

    static Out alloy(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            int code = Main.run(args);
            return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpHasNoFormattingWarnings() {
        for (String cmd : new String[] {"merge", "eval", "sweep", "soup", "evolve", "inspect", "leaderboard", "methods", "lora"}) {
            Out o = alloy(cmd, "--help");
            assertEquals(0, o.code(), cmd);
            assertTrue(!o.out().contains("WARN") && !o.err().contains("WARN"), cmd + ": " + o.err());
        }
    }

    @Test
    void usageMistakesGetOneLine() {
        Out o = alloy("sweep", "configs/decoder-experts-linear.yaml", "--param", "t", "--values", "a,b", "--tasks", "skill-add");
        assertEquals(2, o.code());
        assertEquals(2, o.err().lines().count(), o.err());
        assertTrue(o.err().startsWith("error: ") && o.err().contains("--help"), o.err());
        Out none = alloy("merge", "configs/decoder-experts-ties.yaml");
        assertEquals(1, none.code());
        assertTrue(none.err().contains("no output"), none.err());
    }

    @Test
    void methodsListsEveryMethodWithItsParameters() {
        Out o = alloy("methods");
        assertEquals(0, o.code());
        for (String m : MergeMethods.names()) assertTrue(o.out().contains(m + ": "), m);
        assertTrue(o.out().contains("density"), o.out());
    }

    @Test
    void mergeWritesAModelCardAndTheRecipeWithFlagsAsBooleans() throws Exception {
        Path out = dir.resolve("ties");
        Out o = alloy("merge", "configs/decoder-experts-ties.yaml", out.toString(), "--cuda");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.err().contains("--cuda has no effect"), o.err());
        assertTrue(o.out().contains("merged, 0 copied unchanged"), o.out());
        String card = Files.readString(out.resolve("README.md"));
        assertTrue(card.contains("**ties**") && card.contains("expert-add") && card.contains("merge_method: ties"), card);
        assertTrue(Files.readString(out.resolve("mergekit_config.yml")).contains("normalize: true"));
        Out dry = alloy("merge", "configs/decoder-experts-ties.yaml", "--dry-run");
        assertEquals(0, dry.code());
        assertTrue(dry.out().startsWith("tensor ") && dry.out().contains("depth=") && dry.out().contains("normalize=true"), dry.out());
    }

    @Test
    void inspectReportsTaskVectors() {
        Out o = alloy("inspect", FAMILY + "/expert-add", FAMILY + "/expert-reverse", "--base", FAMILY + "/base");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("layer 0"), o.out());
    }

    @Test
    void evalAndSweepRecordRunsTheLeaderboardReads() throws Exception {
        Path evalRun = dir.resolve("eval-run");
        Out e = alloy("eval", FAMILY + "/base", "configs/decoder-experts-ties.yaml", "--tasks", "skill-add", "--split", "heldout", "--out", evalRun.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("scoring 1/2"), e.err());
        assertTrue(e.out().contains("skill-add") && e.out().contains("exact_match"), e.out());
        Run run = RunReader.read(evalRun);
        assertTrue(run.finished());
        assertEquals(2, run.candidates().stream().map(c -> c.candidate()).distinct().count());
        assertEquals(List.of("alloy", "eval", FAMILY + "/base", "configs/decoder-experts-ties.yaml"), run.info().command().subList(0, 4),
                "run.json records the command as typed");

        Path sweepRun = dir.resolve("sweep-run");
        Out s = alloy("sweep", "configs/decoder-experts-linear.yaml", "--param", "models[1].weight", "--complement", "models[0].weight",
                "--values", "0,0.5,1", "--tasks", "skill-add", "--out", sweepRun.toString());
        assertEquals(0, s.code(), s.err());
        assertTrue(s.err().contains("sample 1/3"), s.err());
        Run sw = RunReader.read(sweepRun);
        assertTrue(sw.fit().isPresent() && sw.sweep().size() >= 3 && sw.finished());
        assertTrue(Files.isRegularFile(sweepRun.resolve("winner.yaml")));

        Out lb = alloy("leaderboard", dir.toString(), "--out", dir.resolve("lb").toString());
        assertEquals(0, lb.code(), lb.err());
        assertTrue(Files.isRegularFile(dir.resolve("lb").resolve("leaderboard.html")));
    }
}
