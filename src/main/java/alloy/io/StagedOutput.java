package alloy.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An output built under a hidden sibling name and renamed onto its real name only when complete, so that a
 * failed or killed run never leaves a half-written model under that name. Until {@link #publish()}, closing
 * (or a JVM shutdown, through a hook) deletes the staging path. Shared by every writer: safetensors
 * checkpoints, ONNX models and LoRA adapters.
 *
 * <p>A run killed with SIGKILL cannot clean up: its staging path ({@code .NAME.alloy-partial-PID}) stays. The
 * next run writing into the same folder removes every such path whose process is gone, and puts back an old
 * output that a killed {@code --overwrite} had moved aside ({@code .NAME.alloy-replaced-PID}) but not yet
 * replaced.
 */
public final class StagedOutput implements AutoCloseable {

    private static final Pattern LEFTOVER = Pattern.compile("\\.(.+)\\.alloy-(partial|replaced)-(\\d+)");

    private final Path out;
    private final Path staging;
    private final boolean overwrite;
    private final boolean directory;
    private final Thread cleanup;
    private boolean published;

    private StagedOutput(Path out, Path staging, boolean overwrite, boolean directory) {
        this.out = out;
        this.staging = staging;
        this.overwrite = overwrite;
        this.directory = directory;
        this.cleanup = new Thread(() -> deleteTree(staging), "alloy-partial-output-cleanup");
    }

    /**
     * Checks {@code target} (inputs, existing output, free space for {@code plannedBytes}) before anything is
     * written, clears what killed runs left in the output's folder, and creates the staging directory when
     * {@code directory}.
     */
    public static StagedOutput begin(OutputTarget target, boolean directory, long plannedBytes) {
        target.check(directory, plannedBytes);
        Path out = target.absolute();
        Path staging = out.resolveSibling("." + out.getFileName() + ".alloy-partial-" + ProcessHandle.current().pid());
        StagedOutput s = new StagedOutput(out, staging, target.overwrite(), directory);
        try {
            Files.createDirectories(out.getParent());
            removeLeftovers(out.getParent()).forEach(m -> System.err.println("note: " + m));
            deleteTree(staging);
            if (directory) Files.createDirectories(staging);
        } catch (IOException e) {
            throw new CheckpointException(staging + ": cannot create output: " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(s.cleanup);
        return s;
    }

    /**
     * Removes the staging paths of runs in {@code folder} whose process has ended, and restores an output a
     * killed run had moved aside; returns one message per thing done.
     */
    public static List<String> removeLeftovers(Path folder) {
        List<String> done = new ArrayList<>();
        List<Path> found;
        try (Stream<Path> s = Files.list(folder)) {
            found = s.filter(p -> LEFTOVER.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            return done;
        }
        for (Path p : found) {
            Matcher m = LEFTOVER.matcher(p.getFileName().toString());
            if (!m.matches()) continue;
            long pid = Long.parseLong(m.group(3));
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
            Path original = p.resolveSibling(m.group(1));
            if (m.group(2).equals("replaced") && !Files.exists(original)) {
                try {
                    Files.move(p, original, StandardCopyOption.ATOMIC_MOVE);
                    done.add("restored " + original + ", which an interrupted run (process " + pid + ") had moved aside");
                    continue;
                } catch (IOException e) {
                    done.add("could not restore " + original + " from " + p + ": " + e.getMessage());
                    continue;
                }
            }
            deleteTree(p);
            done.add("removed " + p.getFileName() + ", left by an interrupted run (process " + pid + ", no longer running)");
        }
        return done;
    }

    /** Where to write: the staging directory, or the staging file. */
    public Path staging() { return staging; }

    public Path output() { return out; }

    /** Marks the output as Alloy's, renames the staging path onto it, and replaces an old output only when allowed. */
    public Path publish() {
        try {
            if (directory) OutputMarker.markDirectory(staging);
            Path old = null;
            if (Files.exists(out)) {
                boolean emptyDir = directory && isEmptyDir(out);
                if (!overwrite && !emptyDir) {
                    throw new CheckpointException(out + ": output appeared while writing; not replacing it");
                }
                // re-checked here: minutes may have passed since begin(), and someone may have put a file there
                if (!emptyDir) OutputMarker.checkReplaceable(out);
                old = out.resolveSibling("." + out.getFileName() + ".alloy-replaced-" + ProcessHandle.current().pid());
                deleteTree(old);
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
            published = true;
            if (old != null) deleteTree(old);
            if (!directory) OutputMarker.markFile(out);
            removeHook();
            return out;
        } catch (IOException e) {
            throw new CheckpointException(out + ": cannot finish output: " + e.getMessage(), e);
        }
    }

    public boolean published() { return published; }

    @Override public void close() {
        if (published) return;
        deleteTree(staging);
        removeHook();
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException | IllegalArgumentException ignored) {
            // already shutting down (the hook is running) or already removed
        }
    }

    public static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("warning: could not remove " + root + ": " + e.getMessage());
        }
    }
}
