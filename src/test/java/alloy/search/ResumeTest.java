package alloy.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.cli.Main;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alloy evolve} in a child JVM, killed with SIGKILL at a random candidate and resumed, ends with the
 * same winner and the same journal (timings aside) as an uninterrupted run with the same seed, and the
 * resumed run scores no journalled candidate again.
 */
class ResumeTest {

    static final Path FAMILY = Path.of("models", "decoder-family").toAbsolutePath();

    @TempDir Path dir;

    static List<String> alloy(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + File.separator + "alloy_hs_err_%p.log",
                "-Dalloy.home=" + Path.of("").toAbsolutePath(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Process start(Path log, String... args) throws Exception {
        return new ProcessBuilder(alloy(args)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The journal without timings, one line per entry. */
    static List<String> journal(Path run) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(Journal.FILE))) {
            ObjectNode o = (ObjectNode) Journal.JSON.readTree(line);
            o.remove("seconds");
            out.add(o.toString());
        }
        return out;
    }

    @Test
    void aKilledSearchResumesToTheSameWinnerAndJournal() throws Exception {
        Path spec = dir.resolve("search.yaml");
        Files.writeString(spec, """
                merge_method: task_arithmetic
                base_model: %s
                models: [%s, %s]
                parameters:
                  weight: [0, 1.2]
                granularity: groups:2
                tasks: [%s]
                population: 4
                generations: 3
                seed: 5
                """.formatted(FAMILY.resolve("base"), FAMILY.resolve("expert-add"), FAMILY.resolve("expert-reverse"),
                Path.of("proxy-tasks", "skill-add").toAbsolutePath()));
        Path whole = dir.resolve("whole");
        Process p = start(dir.resolve("whole.log"), "evolve", spec.toString(), "--out", whole.toString());
        assertTrue(p.waitFor(10, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("whole.log")));
        List<String> reference = journal(whole);
        String winner = Files.readString(whole.resolve("winner.yaml"));

        int killAt = 1 + new SplittableRandom(20261130).nextInt(reference.size() - 2);
        Path killed = dir.resolve("killed");
        Process k = start(dir.resolve("killed.log"), "evolve", spec.toString(), "--out", killed.toString());
        Path j = killed.resolve(Journal.FILE);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (k.isAlive() && System.nanoTime() < deadline && (!Files.exists(j) || Files.readAllLines(j).size() < killAt)) Thread.sleep(20);
        assertTrue(k.isAlive(), "the run ended before candidate " + killAt + ": " + Files.readString(dir.resolve("killed.log")));
        k.destroyForcibly();
        k.waitFor();
        int journalled = journal(killed).size();
        assertTrue(journalled >= killAt && journalled < reference.size(), journalled + " journalled of " + reference.size());

        Process r = start(dir.resolve("resumed.log"), "evolve", "--resume", killed.toString());
        assertTrue(r.waitFor(10, TimeUnit.MINUTES));
        String log = Files.readString(dir.resolve("resumed.log"));
        assertEquals(0, r.exitValue(), log);
        assertTrue(log.contains(journalled + " journalled candidates will not be scored again"), log);
        assertEquals(reference, journal(killed), "the resumed journal differs from the uninterrupted one");
        assertEquals(winner, Files.readString(killed.resolve("winner.yaml")));
    }
}
