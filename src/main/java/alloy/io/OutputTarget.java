package alloy.io;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Where a command may write, checked before anything is written: the rules that keep a merge from ever
 * destroying what a user has.
 * <ul>
 *   <li>the output is named (an empty name would resolve to the working directory) and is not a filesystem root;</li>
 *   <li>the output is not, does not contain, and does not lie inside any input (real paths, symlinks resolved);</li>
 *   <li>an existing output is replaced only with {@code overwrite}, and only when Alloy wrote it (its
 *       {@link OutputMarker}) and it holds nothing else; an empty directory may always be filled;</li>
 *   <li>the filesystem has room for the planned output.</li>
 * </ul>
 *
 * @param path      the output as the user named it
 * @param overwrite whether an earlier Alloy output under that name may be replaced
 * @param inputs    everything the run reads (model files or directories, recipes, adapters), never to be touched
 */
public record OutputTarget(Path path, boolean overwrite, List<Path> inputs) {

    public OutputTarget {
        if (path == null || path.toString().isBlank()) {
            throw new CheckpointException("output: empty name (it would mean the working directory); name a new directory or file");
        }
        inputs = List.copyOf(inputs);
    }

    public static OutputTarget of(Path path, boolean overwrite) { return new OutputTarget(path, overwrite, List.of()); }

    /** The same target protecting {@code more} inputs as well. */
    public OutputTarget protecting(Collection<Path> more) {
        List<Path> all = new ArrayList<>(inputs);
        all.addAll(more);
        return new OutputTarget(path, overwrite, all);
    }

    /** The output as an absolute, normalised path (symlinks not resolved: the name the user will see). */
    public Path absolute() { return path.toAbsolutePath().normalize(); }

    /**
     * Every check that needs no weights: naming, the input rules and an existing output. Call it before any
     * work starts; {@link StagedOutput#begin} calls it again just before the first byte is written.
     */
    public void check(boolean directory) {
        Path out = absolute();
        if (out.getParent() == null) throw new CheckpointException(out + ": output is a filesystem root; name a new directory below it");
        Path real = realPath(out);
        for (Path input : inputs) {
            Path in = realPath(input.toAbsolutePath().normalize());
            if (real.equals(in)) throw new CheckpointException(out + ": output is the input " + input + "; name a new output");
            if (in.startsWith(real)) throw new CheckpointException(out + ": output contains the input " + input + "; name a new output");
            if (real.startsWith(in)) throw new CheckpointException(out + ": output lies inside the input " + input + "; name a new output");
        }
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) return;
        if (directory && StagedOutput.isEmptyDir(out)) return;
        if (!overwrite) {
            throw new CheckpointException(out + ": output exists" + (directory && Files.isDirectory(out) ? " and is not empty" : "")
                    + " (pass --overwrite to replace an earlier Alloy output)");
        }
        if (Files.isSymbolicLink(out)) throw new CheckpointException(out + ": output is a symbolic link; Alloy replaces only what it wrote");
        if (directory != Files.isDirectory(out)) {
            throw new CheckpointException(out + ": output exists as a " + (directory ? "file" : "directory") + ", and Alloy would write a "
                    + (directory ? "directory" : "file") + "; not replacing it");
        }
        OutputMarker.checkReplaceable(out);
    }

    /** As {@link #check(boolean)}, and the filesystem under the output must have room for {@code plannedBytes}. */
    public void check(boolean directory, long plannedBytes) {
        check(directory);
        checkSpace(plannedBytes);
    }

    /**
     * Free space against the planned size. The old output (when replaced) stays until the new one is complete,
     * so it does not count as free.
     */
    public void checkSpace(long plannedBytes) {
        Path out = absolute();
        Path existing = nearestExisting(out);
        try {
            FileStore store = Files.getFileStore(existing);
            long free = store.getUsableSpace();
            // 16 MiB for headers, side files and the filesystem's own bookkeeping
            long need = plannedBytes + (16L << 20);
            if (free < need) {
                throw new CheckpointException(String.format(Locale.ROOT, "%s: not enough space: the output needs %s, %s has %s free",
                        out, human(need), store.name().isEmpty() ? existing : existing + " (" + store.name() + ")", human(free)));
            }
        } catch (IOException e) {
            throw new CheckpointException(existing + ": cannot read free space: " + e.getMessage(), e);
        }
    }

    /**
     * The real path of {@code p}: symlinks resolved for the part that exists, the rest appended as written,
     * so an output that does not exist yet can be compared with inputs that do.
     */
    static Path realPath(Path p) {
        Path existing = nearestExisting(p);
        try {
            Path real = existing.toRealPath();
            return real.resolve(existing.relativize(p)).normalize();
        } catch (IOException e) {
            throw new CheckpointException(p + ": cannot resolve: " + e.getMessage(), e);
        }
    }

    private static Path nearestExisting(Path p) {
        Path cur = p;
        while (cur != null && !Files.exists(cur)) cur = cur.getParent();
        return cur == null ? p.getRoot() : cur;
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }

    /** The names (at most {@code limit}) in {@code dir} that satisfy nothing in {@code known}, for error messages. */
    static List<String> strangers(Path dir, Collection<String> known, int limit) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !known.contains(n)).sorted().limit(limit).toList();
        }
    }
}
