package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.tensor.DType;
import alloy.testing.RandomModels;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at random moments of a merge in a child JVM (no shutdown hook runs): the output name never holds a
 * partial model, the inputs stay byte-identical, and the next run clears what the killed ones left.
 */
class KillDuringMergeTest {

    static final int KILLS = 20;

    @TempDir Path dir;

    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + File.separator + "alloy_hs_err_%p.log",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void killedMergesLeaveNoPartialOutputAndTheNextRunCleansUp() throws Exception {
        // about 24 MiB per model, so that a merge takes long enough to be killed in the middle
        RandomModels.Spec spec = new RandomModels.Spec(4, 256, 1024, 4000);
        RandomModels.write(dir.resolve("base"), spec, DType.F32, 1, 1, 0, 1L << 30);
        RandomModels.write(dir.resolve("tune-a"), spec, DType.F32, 1, 2, 0.5, 1L << 30);
        RandomModels.write(dir.resolve("tune-b"), spec, DType.F32, 1, 3, 0.5, 1L << 30);
        Path recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                merge_method: dare_ties
                base_model: base
                models:
                  - model: tune-a
                    parameters: {weight: 0.6, density: 0.5}
                  - model: tune-b
                    parameters: {weight: 0.4, density: 0.5}
                """);
        TreeMap<String, String> inputs = OutputSafetyTest.snapshot(dir);
        Path out = dir.resolve("merged");

        long t0 = System.nanoTime();
        Process whole = new ProcessBuilder(javaCommand("merge", recipe.toString(), "-o", out.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("whole.log").toFile()).start();
        assertEquals(0, whole.waitFor(), Files.readString(dir.resolve("whole.log")));
        long fullNanos = System.nanoTime() - t0;
        TreeMap<String, String> reference = OutputSafetyTest.snapshot(out);

        SplittableRandom rnd = new SplittableRandom(20261130);
        int killedBeforeEnd = 0;
        for (int k = 0; k < KILLS; k++) {
            Path target = dir.resolve("killed-" + k);
            Process p = new ProcessBuilder(javaCommand("merge", recipe.toString(), "-o", target.toString()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (k % 2 == 0) {
                // anywhere in the run, start-up included
                p.waitFor((long) (rnd.nextDouble() * fullNanos), TimeUnit.NANOSECONDS);
            } else {
                // while the output is being written: once the staging directory exists, within the next 200 ms
                Path staging = dir.resolve(".killed-" + k + ".alloy-partial-" + p.pid());
                while (p.isAlive() && !Files.exists(staging)) Thread.sleep(2);
                p.waitFor((long) (rnd.nextDouble() * 200), TimeUnit.MILLISECONDS);
            }
            boolean wasAlive = p.isAlive();
            p.destroyForcibly();   // SIGKILL on Linux
            p.waitFor();
            if (wasAlive) {
                killedBeforeEnd++;
                // killed while running: the final name holds nothing, or (killed after the rename) the whole model
                if (Files.exists(target)) assertEquals(reference, OutputSafetyTest.snapshot(target), "kill " + k + " left a partial " + target);
            } else {
                assertEquals(reference, OutputSafetyTest.snapshot(target), "run " + k + " finished but its output differs");
            }
            assertEquals(inputs, snapshotInputs(dir, inputs), "kill " + k + " changed an input");
        }
        assertTrue(killedBeforeEnd >= KILLS / 2, "only " + killedBeforeEnd + " of " + KILLS + " kills landed before the merge ended");

        // the next run into the same folder removes every staging directory of the killed processes
        Process next = new ProcessBuilder(javaCommand("merge", recipe.toString(), "-o", dir.resolve("after").toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("after.log").toFile()).start();
        assertEquals(0, next.waitFor(), Files.readString(dir.resolve("after.log")));
        try (Stream<Path> s = Files.list(dir)) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".alloy-partial-") || n.contains(".alloy-replaced-")).toList();
            assertEquals(List.of(), left);
        }
        assertEquals(reference, OutputSafetyTest.snapshot(dir.resolve("after")));
    }

    /** The digests of the files that were there at the start, read again. */
    private static TreeMap<String, String> snapshotInputs(Path dir, TreeMap<String, String> before) throws Exception {
        TreeMap<String, String> now = OutputSafetyTest.snapshot(dir);
        now.keySet().retainAll(before.keySet());
        return now;
    }
}
