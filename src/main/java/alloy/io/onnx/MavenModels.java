package alloy.io.onnx;

import alloy.io.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.io.OutputStream;

/**
 * Models named by Maven coordinate ({@code maven:dev.langchain4j:langchain4j-embeddings-bge-small-en:1.11.0-beta19}),
 * as the LangChain4j embedding jars ship them: one .onnx and one tokenizer json inside a jar. The jar is taken
 * from the local Maven repository only (system property {@code maven.repo.local}, else ~/.m2/repository),
 * never from the network; its model and tokenizer are extracted once into
 * {@code <cache>/maven/<artifactId>-<version>/} as model.onnx and tokenizer.json, with a config.json derived
 * from the graph, where cache is system property {@code alloy.cache}, else ~/.cache/alloy. Each file is
 * written to a temporary name and renamed, so concurrent or killed runs never leave a half file under the
 * final name; a complete entry is reused as it is.
 */
public final class MavenModels {

    public static final String PREFIX = "maven:";

    private static final String PART = "[A-Za-z0-9_][A-Za-z0-9_.-]*";

    /** groupId:artifactId:version, each part checked so that it cannot step outside the repository. */
    public record Coordinate(String groupId, String artifactId, String version) {
        public Coordinate {
            for (String p : new String[] {groupId, artifactId, version}) {
                Objects.requireNonNull(p, "coordinate part");
                if (!p.matches(PART) || p.contains("..")) {
                    throw new IllegalArgumentException("bad Maven coordinate part '" + p + "' (letters, digits, '_', '.', '-')");
                }
            }
        }

        /** The jar's place in a repository laid out as Maven lays it out. */
        public Path jarIn(Path repository) {
            Path dir = repository;
            for (String g : groupId.split("\\.")) dir = dir.resolve(g);
            return dir.resolve(artifactId).resolve(version).resolve(artifactId + "-" + version + ".jar");
        }

        @Override public String toString() { return groupId + ":" + artifactId + ":" + version; }
    }

    private MavenModels() {}

    /**
     * {@code ref} read as a coordinate: with the {@code maven:} prefix, or without it when it is exactly three
     * colon-separated parts (callers try local paths first).
     */
    public static Optional<Coordinate> parse(String ref) {
        String s = ref.startsWith(PREFIX) ? ref.substring(PREFIX.length()) : ref;
        String[] parts = s.split(":", -1);
        if (parts.length != 3) {
            if (ref.startsWith(PREFIX)) throw new CheckpointException("model '" + ref + "': a Maven coordinate is maven:groupId:artifactId:version");
            return Optional.empty();
        }
        try {
            return Optional.of(new Coordinate(parts[0], parts[1], parts[2]));
        } catch (IllegalArgumentException e) {
            if (ref.startsWith(PREFIX)) throw new CheckpointException("model '" + ref + "': " + e.getMessage());
            return Optional.empty();
        }
    }

    public static Path localRepository() {
        String p = System.getProperty("maven.repo.local");
        return p != null && !p.isBlank() ? Path.of(p) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    public static Path cacheRoot() {
        String p = System.getProperty("alloy.cache");
        return p != null && !p.isBlank() ? Path.of(p) : Path.of(System.getProperty("user.home"), ".cache", "alloy");
    }

    /** The model directory for {@code c}, extracted into the default cache from the default local repository. */
    public static Path resolve(Coordinate c) { return resolve(c, localRepository(), cacheRoot()); }

    /** The model directory (model.onnx, tokenizer.json, config.json) for {@code c}, extracting it when needed. */
    public static Path resolve(Coordinate c, Path repository, Path cacheRoot) {
        Path jar = c.jarIn(repository);
        if (!Files.isRegularFile(jar)) {
            throw new CheckpointException("model 'maven:" + c + "': not in the local Maven repository (" + jar
                    + "); Alloy never downloads: `mvn -q generate-resources` in the Alloy project puts the LangChain4j embedding jars there");
        }
        Path dir = cacheRoot.resolve("maven").resolve(c.artifactId() + "-" + c.version());
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry model = single(zip, jar, ".onnx", "model");
            Path onnx = dir.resolve(OnnxWriter.MODEL_FILE);
            Path config = dir.resolve("config.json");
            // Renames are atomic, so a file under its final name is whole; the size check catches a jar rebuilt in place.
            boolean fresh = Files.isRegularFile(onnx) && Files.size(onnx) == model.getSize() && Files.isRegularFile(config);
            if (fresh) return dir;
            Files.createDirectories(dir);
            ZipEntry tok = single(zip, jar, "tokenizer.json", null);
            if (tok != null) extract(zip, tok, dir.resolve("tokenizer.json"));
            extract(zip, model, onnx);
            try (OnnxCheckpoint ck = OnnxCheckpoint.open(onnx)) {
                var derived = ck.derivedConfig().orElseThrow(() -> new CheckpointException(onnx + " (from " + jar
                        + "): not a BERT encoder, cannot write its config.json"));
                byte[] json = BertConfigs.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(derived.json());
                atomicWrite(config, out -> out.write(json));
            }
            return dir;
        } catch (IOException e) {
            throw new CheckpointException(jar + ": cannot extract into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The one entry ending in {@code suffix}; {@code what} null means it may be missing. */
    private static ZipEntry single(ZipFile zip, Path jar, String suffix, String what) {
        List<? extends ZipEntry> found = zip.stream().filter(e -> !e.isDirectory() && e.getName().endsWith(suffix)).toList();
        if (found.size() > 1) {
            throw new CheckpointException(jar + ": " + found.size() + " entries end in '" + suffix + "' ("
                    + found.stream().map(ZipEntry::getName).toList() + "); expected one");
        }
        if (found.isEmpty()) {
            if (what == null) return null;
            throw new CheckpointException(jar + ": no " + what + " inside (no entry ending in '" + suffix + "')");
        }
        return found.get(0);
    }

    private static void extract(ZipFile zip, ZipEntry e, Path target) throws IOException {
        atomicWrite(target, out -> {
            try (InputStream in = zip.getInputStream(e)) { in.transferTo(out); }
        });
    }

    private interface Writer { void write(OutputStream out) throws IOException; }

    /** Writes a uniquely named sibling, then renames it over {@code target}. */
    private static void atomicWrite(Path target, Writer body) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        try {
            try (var out = Files.newOutputStream(tmp)) { body.write(out); }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
