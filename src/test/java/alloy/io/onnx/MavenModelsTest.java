package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MavenModelsTest {

    @Test
    void parsesCoordinatesWithAndWithoutPrefix() {
        var c = new MavenModels.Coordinate("dev.langchain4j", "langchain4j-embeddings-bge-small-en", "1.11.0-beta19");
        assertEquals(Optional.of(c), MavenModels.parse("maven:dev.langchain4j:langchain4j-embeddings-bge-small-en:1.11.0-beta19"));
        assertEquals(Optional.of(c), MavenModels.parse("dev.langchain4j:langchain4j-embeddings-bge-small-en:1.11.0-beta19"));
        assertEquals(Path.of("/r/dev/langchain4j/langchain4j-embeddings-bge-small-en/1.11.0-beta19/langchain4j-embeddings-bge-small-en-1.11.0-beta19.jar"),
                c.jarIn(Path.of("/r")));
        assertEquals(Optional.empty(), MavenModels.parse("BAAI/bge-small-en"));
        assertEquals(Optional.empty(), MavenModels.parse("a:b"));
        assertEquals(Optional.empty(), MavenModels.parse("../x:y:z"));
        assertThrows(CheckpointException.class, () -> MavenModels.parse("maven:a:b"));
        assertThrows(CheckpointException.class, () -> MavenModels.parse("maven:a:..:c"));
    }

    @Test
    void missingJarSaysHowToGetIt(@TempDir Path tmp) {
        var c = new MavenModels.Coordinate("dev.langchain4j", "langchain4j-embeddings-nothing", "9.9");
        var e = assertThrows(CheckpointException.class, () -> MavenModels.resolve(c, tmp.resolve("repo"), tmp.resolve("cache")));
        assertTrue(e.getMessage().startsWith("model 'maven:dev.langchain4j:langchain4j-embeddings-nothing:9.9': not in the local Maven repository ("),
                e.getMessage());
        assertTrue(e.getMessage().contains("mvn -q generate-resources"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertFalse(Files.exists(tmp.resolve("cache")), "nothing is created for a missing jar");
    }

    @Test
    void bareCoordinateThroughCheckpointsWhenNoSuchPath() {
        String before = System.getProperty("maven.repo.local");
        try {
            System.setProperty("maven.repo.local", "/nonexistent-alloy-repo");
            var e = assertThrows(CheckpointException.class, () -> Checkpoints.open("dev.langchain4j:langchain4j-embeddings-nothing:9.9", null));
            assertTrue(e.getMessage().contains("/nonexistent-alloy-repo/dev/langchain4j/"), e.getMessage());
        } finally {
            OnnxCheckpointRealTest.restore("maven.repo.local", before);
        }
    }

    @Test
    void extractsOnceAndReusesTheCache(@TempDir Path tmp) throws Exception {
        var c = RealModels.coordinate(RealModels.MINILM6);
        Path repo = RealModels.repository(RealModels.MINILM6);
        Path dir = MavenModels.resolve(c, repo, tmp);
        assertEquals(tmp.resolve("maven").resolve(RealModels.MINILM6 + "-" + RealModels.VERSION), dir);
        for (String f : new String[] {"model.onnx", "tokenizer.json", "config.json"}) assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(3, s.count(), "no temporaries left");
        }
        FileTime stamp = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(dir.resolve("model.onnx"), stamp);
        assertEquals(dir, MavenModels.resolve(c, repo, tmp));
        assertEquals(stamp, Files.getLastModifiedTime(dir.resolve("model.onnx")), "second resolve reuses the extracted file");
        // A damaged entry (size differs from the jar's) is extracted again.
        Files.write(dir.resolve("model.onnx"), new byte[10]);
        MavenModels.resolve(c, repo, tmp);
        assertTrue(Files.size(dir.resolve("model.onnx")) > 1_000_000);
    }
}
