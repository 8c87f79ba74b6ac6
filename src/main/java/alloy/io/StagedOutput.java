package alloy.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * An output built under a hidden sibling name and renamed onto its real name only when complete, so that a
 * failed or killed run never leaves a half-written model under that name. Until {@link #publish()}, closing
 * (or a JVM shutdown, through a hook) deletes the staging path. Shared by every writer: safetensors
 * checkpoints, ONNX models and LoRA adapters.
 */
public final class StagedOutput implements AutoCloseable {

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
     * Refuses an existing output (unless {@code overwrite}, or it is an empty directory and a directory is
     * being made) before anything is written; clears a stale staging path from a killed run of this process
     * id; creates the staging directory when {@code directory}.
     */
    public static StagedOutput begin(Path output, boolean overwrite, boolean directory) {
        Path out = output.toAbsolutePath().normalize();
        if (Files.exists(out) && !overwrite && !(directory && isEmptyDir(out))) {
            throw new CheckpointException(out + ": output exists" + (directory ? " and is not empty" : "") + " (pass --overwrite to replace it)");
        }
        Path staging = out.resolveSibling("." + out.getFileName() + ".alloy-partial-" + ProcessHandle.current().pid());
        StagedOutput s = new StagedOutput(out, staging, overwrite, directory);
        try {
            Files.createDirectories(out.getParent());
            deleteTree(staging);
            if (directory) Files.createDirectories(staging);
        } catch (IOException e) {
            throw new CheckpointException(staging + ": cannot create output: " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(s.cleanup);
        return s;
    }

    /** Where to write: the staging directory, or the staging file. */
    public Path staging() { return staging; }

    public Path output() { return out; }

    /** Renames the staging path onto the output, replacing an old output only when allowed. */
    public Path publish() {
        try {
            Path old = null;
            if (Files.exists(out)) {
                if (!overwrite && !(directory && isEmptyDir(out))) {
                    throw new CheckpointException(out + ": output appeared while writing; not replacing it");
                }
                old = out.resolveSibling("." + out.getFileName() + ".alloy-replaced-" + ProcessHandle.current().pid());
                deleteTree(old);
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
            published = true;
            if (old != null) deleteTree(old);
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
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("warning: could not remove " + root + ": " + e.getMessage());
        }
    }
}
