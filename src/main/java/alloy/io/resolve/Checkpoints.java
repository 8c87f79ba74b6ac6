package alloy.io.resolve;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.ShardedCheckpoint;
import alloy.io.SafetensorsFile;
import alloy.io.onnx.MavenModels;
import alloy.io.onnx.OnnxCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns what a user wrote (a path, a Hugging Face name, a Maven coordinate) into an open checkpoint.
 * Nothing is ever downloaded: a hub name resolves only through the local Hugging Face cache.
 */
public final class Checkpoints {

    public static final String INDEX = ShardedCheckpoint.INDEX;

    private Checkpoints() {}

    /** Opens {@code ref}; relative paths resolve against {@code relativeTo} (the recipe's folder) first, then the working directory. */
    public static Checkpoint open(String ref, Path relativeTo) {
        return openPath(resolve(ref, relativeTo), ref);
    }

    public static Checkpoint open(Path path) { return openPath(path, path.toString()); }

    /** The local path {@code ref} names, or an error saying how to name a model. */
    public static Path resolve(String ref, Path relativeTo) {
        if (ref.startsWith(MavenModels.PREFIX)) return MavenModels.resolve(MavenModels.parse(ref).orElseThrow());
        Path p = Path.of(ref);
        if (!p.isAbsolute() && relativeTo != null && Files.exists(relativeTo.resolve(p))) return relativeTo.resolve(p).normalize();
        if (Files.exists(p)) return p.toAbsolutePath().normalize();
        var maven = MavenModels.parse(ref);
        if (maven.isPresent()) return MavenModels.resolve(maven.get());
        if (ref.matches("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            return huggingFaceCache(ref).orElseThrow(() -> new CheckpointException("model '" + ref
                    + "' is not a local path and is not in the Hugging Face cache (" + hubCache()
                    + "); Alloy never downloads: give a local directory or .safetensors/.onnx file"));
        }
        throw new CheckpointException("model '" + ref + "': no such file or directory");
    }

    private static Checkpoint openPath(Path p, String ref) {
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve(INDEX))) return ShardedCheckpoint.open(p.resolve(INDEX));
            if (Files.isRegularFile(p.resolve("model.safetensors"))) return SafetensorsFile.open(p.resolve("model.safetensors"));
            List<Path> st = list(p, ".safetensors");
            if (st.size() == 1) return SafetensorsFile.open(st.get(0));
            if (st.isEmpty() && Files.isRegularFile(p.resolve("model.onnx"))) return OnnxCheckpoint.open(p.resolve("model.onnx"));
            throw new CheckpointException("model '" + ref + "' (" + p + "): directory has no model.safetensors, no model.onnx, no "
                    + INDEX + (st.isEmpty() ? "" : ", and " + st.size() + " .safetensors files without an index"));
        }
        String name = p.getFileName().toString();
        if (name.endsWith(".safetensors")) return SafetensorsFile.open(p);
        if (name.endsWith(".json") && name.endsWith("index.json")) return ShardedCheckpoint.open(p);
        if (name.endsWith(".onnx")) return OnnxCheckpoint.open(p);
        throw new CheckpointException("model '" + ref + "' (" + p + "): not a checkpoint Alloy reads (safetensors or .onnx file, or model directory)");
    }

    public static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    public static Path hubCache() {
        String c = System.getenv("HF_HUB_CACHE");
        if (c != null) return Path.of(c);
        String home = System.getenv("HF_HOME");
        if (home != null) return Path.of(home, "hub");
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    /** models--org--name/snapshots/REV, REV from refs/main when present, else the only snapshot. */
    public static Optional<Path> huggingFaceCache(String repoId) {
        Path repo = hubCache().resolve("models--" + repoId.replace("/", "--"));
        Path snapshots = repo.resolve("snapshots");
        if (!Files.isDirectory(snapshots)) return Optional.empty();
        try {
            Path ref = repo.resolve("refs").resolve("main");
            if (Files.isRegularFile(ref)) {
                Path snap = snapshots.resolve(Files.readString(ref).trim());
                if (Files.isDirectory(snap)) return Optional.of(snap);
            }
            try (Stream<Path> s = Files.list(snapshots)) {
                List<Path> all = s.filter(Files::isDirectory).toList();
                return all.size() == 1 ? Optional.of(all.get(0)) : Optional.empty();
            }
        } catch (IOException e) {
            throw new CheckpointException(repo + ": unreadable Hugging Face cache entry: " + e.getMessage(), e);
        }
    }
}
