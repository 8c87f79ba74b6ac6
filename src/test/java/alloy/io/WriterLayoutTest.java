package alloy.io;

import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.DType;
import alloy.tensor.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's layout: names checked once across all shards, in time linear in the number of tensors. */
class WriterLayoutTest {

    @TempDir Path dir;

    @Test
    void aNameRepeatedInAnotherShardIsRefused() {
        var entries = List.of(new CheckpointWriter.Entry("a", DType.F32, Shape.of(4)), new CheckpointWriter.Entry("b", DType.F32, Shape.of(4)),
                new CheckpointWriter.Entry("a", DType.F32, Shape.of(4)));
        // 16-byte shards put each tensor in a shard of its own
        var e = assertThrows(IllegalArgumentException.class, () -> CheckpointWriter.create(OutputTarget.of(dir.resolve("out"), false), entries, 16, Map.of()).close());
        assertEquals("tensor 'a' is planned twice", e.getMessage());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void manyTinyTensorsLayOutInLinearTime() {
        // 300k tensors in one shard: a per-tensor scan of the shard is 4.5e10 comparisons (minutes); linear is about a second
        int n = 300_000;
        List<CheckpointWriter.Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) entries.add(new CheckpointWriter.Entry("model.t." + i + ".weight", DType.F32, Shape.of(1)));
        long t0 = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dir.resolve("many"), false), entries, 1L << 30, Map.of())) {
                assertEquals(n, w.entries().size());
            }
        });
        System.out.printf("layout of %d tensors: %.2f s%n", n, (System.nanoTime() - t0) / 1e9);
    }
}
