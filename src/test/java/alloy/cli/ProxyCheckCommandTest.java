package alloy.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What proxy-check does before it scores anything. */
class ProxyCheckCommandTest {

    @TempDir Path tmp;

    @Test
    void foldersBecomeTheirRecipesInPathOrder() throws IOException {
        Path grid = Files.createDirectories(tmp.resolve("grid"));
        Files.writeString(grid.resolve("b.yaml"), "x");
        Files.writeString(grid.resolve("a.yml"), "x");
        Files.writeString(grid.resolve("notes.txt"), "x");
        Files.createDirectories(grid.resolve("sub"));
        Files.writeString(grid.resolve("sub").resolve("c.yaml"), "x");
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        List<String> refs = ProxyCheckCommand.expand(List.of("maven:g:a:1", grid.toString(), " " + model + " ", ""));
        assertEquals(List.of("maven:g:a:1", grid.resolve("a.yml").toString(), grid.resolve("b.yaml").toString(),
                grid.resolve("sub").resolve("c.yaml").toString(), model.toString()), refs);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThrows(IllegalArgumentException.class, () -> ProxyCheckCommand.expand(List.of(empty.toString())));
    }

    @Test
    void refusesFewerThanThreeCandidatesAndSetsWithoutTheSplit() {
        assertEquals(1, Main.run("proxy-check", "mixed-retrieval", "--candidates", "a.yaml,b.yaml"));
        assertEquals(1, Main.run("proxy-check", "code-qa-retrieval", "--splits", "search,validation", "--candidates", "a.yaml,b.yaml,c.yaml"));
        assertEquals(1, Main.run("proxy-check", "code-qa-retrieval", "--splits", "search", "--candidates", "a.yaml,b.yaml,c.yaml"));
    }
}
