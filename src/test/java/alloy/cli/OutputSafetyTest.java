package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.CheckpointException;
import alloy.io.OutputTarget;
import alloy.io.onnx.MavenModels;
import alloy.tensor.DType;
import alloy.testing.RandomModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output rules, through the command line as a user meets them: no output may be, contain or lie inside an
 * input; {@code --overwrite} replaces only an earlier Alloy output; leftovers of killed runs are cleared.
 * Every refusal leaves every file byte-identical.
 */
class OutputSafetyTest {

    @TempDir Path dir;
    Path base;
    Path tuneA;
    Path tuneB;
    Path recipe;

    @BeforeEach
    void models() throws IOException {
        base = RandomModels.write(dir.resolve("base"), RandomModels.Spec.tiny(), DType.F32, 1, 1, 0, 1L << 30);
        tuneA = RandomModels.write(dir.resolve("tune-a"), RandomModels.Spec.tiny(), DType.F32, 1, 2, 0.5, 1L << 30);
        tuneB = RandomModels.write(dir.resolve("tune-b"), RandomModels.Spec.tiny(), DType.F32, 1, 3, 0.5, 1L << 30);
        recipe = dir.resolve("recipe.yaml");
        Files.writeString(recipe, """
                merge_method: ties
                base_model: base
                models:
                  - model: tune-a
                    parameters: {weight: 0.5, density: 0.5}
                  - model: tune-b
                    parameters: {weight: 0.5, density: 0.5}
                """);
        Files.writeString(dir.resolve("notes.txt"), "a user's notes beside the models");
    }

    record Result(int code, String err) {}

    static Result alloy(String... args) {
        PrintStream oldErr = System.err;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8); PrintStream o = new PrintStream(OutputStream.nullOutputStream())) {
            System.setErr(e);
            System.setOut(o);
            return new Result(Main.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
            System.setOut(oldOut);
        }
    }

    /** Every file under {@code root} with a digest of its bytes. */
    static TreeMap<String, String> snapshot(Path root) throws Exception {
        TreeMap<String, String> all = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                all.put(root.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return all;
    }

    private void assertRefused(Result r, String... phrases) {
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("error:")).count(), r.err());
        for (String p : phrases) assertTrue(r.err().contains(p), "expected '" + p + "' in: " + r.err());
    }

    @Test
    void outputNamingAnInputIsRefusedEvenWithOverwrite() throws Exception {
        var before = snapshot(dir);
        for (Path input : List.of(tuneA, base)) {
            assertRefused(alloy("merge", recipe.toString(), "-o", input.toString(), "--overwrite"), "output is the input");
            assertRefused(alloy("merge", recipe.toString(), input.toString(), "--overwrite"), "output is the input");
        }
        assertRefused(alloy("soup", tuneA.toString(), tuneB.toString(), "-o", tuneB.toString(), "--overwrite"), "output is the input");
        assertRefused(alloy("merge", recipe.toString(), "-o", recipe.toString(), "--overwrite"), "output is the input");
        assertEquals(before, snapshot(dir));
    }

    @Test
    void outputContainingInputsIsRefused() throws Exception {
        var before = snapshot(dir);
        assertRefused(alloy("merge", recipe.toString(), "-o", dir.toString(), "--overwrite"), "output contains the input");
        assertRefused(alloy("soup", tuneA.toString(), tuneB.toString(), "-o", dir.toString(), "--overwrite"), "output contains the input");
        // inside an input is refused as well: a merge must not write into a model it reads
        assertRefused(alloy("merge", recipe.toString(), "-o", base.resolve("sub").toString()), "lies inside the input");
        assertEquals(before, snapshot(dir));
    }

    @Test
    void symlinksAreResolvedBeforeComparing() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link-to-a"), tuneA);
        var before = snapshot(dir);
        assertRefused(alloy("merge", recipe.toString(), "-o", link.toString(), "--overwrite"), "output is the input");
        Path linkedParent = Files.createSymbolicLink(dir.resolve("here"), dir);
        assertRefused(alloy("merge", recipe.toString(), "-o", linkedParent.toString(), "--overwrite"), "output contains the input");
        assertEquals(before, snapshot(dir));
    }

    @Test
    void emptyAndRootOutputsAreRefused() throws Exception {
        var before = snapshot(dir);
        assertRefused(alloy("merge", recipe.toString(), "-o", "", "--overwrite"), "empty name");
        assertRefused(alloy("soup", tuneA.toString(), tuneB.toString(), "-o", "", "--overwrite"), "empty name");
        assertRefused(alloy("merge", recipe.toString(), "-o", "/", "--overwrite"), "filesystem root");
        assertEquals(before, snapshot(dir));
    }

    @Test
    void overwriteReplacesOnlyAlloysOwnOutput() throws Exception {
        Path user = Files.createDirectories(dir.resolve("user-dir"));
        Files.writeString(user.resolve("thesis.tex"), "months of work");
        var before = snapshot(user);
        assertRefused(alloy("merge", recipe.toString(), "-o", user.toString(), "--overwrite"), "not an Alloy output", "thesis.tex");
        assertEquals(before, snapshot(user));

        Path out = dir.resolve("merged");
        assertEquals(0, alloy("merge", recipe.toString(), "-o", out.toString()).code());
        assertTrue(Files.isRegularFile(out.resolve(".alloy-output")));
        var first = snapshot(out);
        // without --overwrite an earlier output stays
        assertRefused(alloy("merge", recipe.toString(), "-o", out.toString()), "output exists");
        // with it, Alloy's own output is replaced
        Files.writeString(recipe, Files.readString(recipe).replace("density: 0.5}", "density: 0.7}"));
        Result again = alloy("merge", recipe.toString(), "-o", out.toString(), "--overwrite");
        assertEquals(0, again.code(), again.err());
        assertNotEquals(first.get("model.safetensors"), snapshot(out).get("model.safetensors"));
        // a file the user put into an Alloy output is never deleted with it
        Files.writeString(out.resolve("my-eval-notes.md"), "keep me");
        var withNotes = snapshot(out);
        assertRefused(alloy("merge", recipe.toString(), "-o", out.toString(), "--overwrite"), "did not write", "my-eval-notes.md");
        assertEquals(withNotes, snapshot(out));
    }

    @Test
    void anEmptyDirectoryMayBeFilled() throws Exception {
        Path out = Files.createDirectories(dir.resolve("empty"));
        Result r = alloy("merge", recipe.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
    }

    @Test
    void leftoversOfKilledRunsAreClearedAndAMovedAsideOutputComesBack() throws Exception {
        long dead = deadPid();
        Path partial = Files.createDirectories(dir.resolve(".merged.alloy-partial-" + dead));
        Files.write(partial.resolve("model.safetensors"), new byte[4096]);
        // a killed --overwrite that had moved the old output aside but not yet put the new one in place
        Path aside = Files.createDirectories(dir.resolve(".old-out.alloy-replaced-" + dead));
        Files.writeString(aside.resolve("config.json"), "{}");
        Result r = alloy("merge", recipe.toString(), "-o", dir.resolve("merged").toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(partial));
        assertTrue(r.err().contains("removed .merged.alloy-partial-" + dead), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("old-out").resolve("config.json")), r.err());
        assertTrue(r.err().contains("restored"), r.err());
        // a live process's staging directory is not touched
        Path live = Files.createDirectories(dir.resolve(".x.alloy-partial-" + ProcessHandle.current().pid()));
        assertEquals(0, alloy("merge", recipe.toString(), "-o", dir.resolve("merged-2").toString()).code());
        assertTrue(Files.isDirectory(live));
    }

    @Test
    void freeSpaceIsCheckedAgainstThePlannedSize() {
        OutputTarget t = OutputTarget.of(dir.resolve("huge"), false);
        var e = assertThrows(CheckpointException.class, () -> t.check(true, 1L << 60));
        assertTrue(e.getMessage().contains("not enough space"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("huge")));
    }

    @Test
    void onnxInputFileIsNeverTheOutput() throws Exception {
        Path bge = MavenModels.resolve(MavenModels.parse("maven:dev.langchain4j:langchain4j-embeddings-bge-small-en:1.11.0-beta19").orElseThrow());
        Path onnx = Files.createSymbolicLink(dir.resolve("bge.onnx"), bge.resolve("model.onnx"));
        Path r = dir.resolve("onnx.yaml");
        Files.writeString(r, "merge_method: linear\nmodels:\n  - model: bge.onnx\n    parameters: {weight: 1}\n");
        long size = Files.size(bge.resolve("model.onnx"));
        var mtime = Files.getLastModifiedTime(bge.resolve("model.onnx"));
        assertRefused(alloy("merge", r.toString(), "-o", onnx.toString(), "--overwrite"), "output is the input");
        assertRefused(alloy("merge", r.toString(), "-o", bge.resolve("model.onnx").toString(), "--overwrite"), "output is the input");
        assertEquals(size, Files.size(bge.resolve("model.onnx")));
        assertEquals(mtime, Files.getLastModifiedTime(bge.resolve("model.onnx")));
    }

    /** A process id that is not running (a child that has exited). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        return pid;
    }
}
