package alloy.io;

import alloy.io.resolve.Checkpoints;
import static org.junit.jupiter.api.Assertions.*;

import alloy.recipe.MergeRun;
import alloy.recipe.RecipeYaml;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input cut short after it was opened (another process rewriting it) fails with a CheckpointException
 * naming the file and tensor. Reading the missing pages of a mapping raises SIGBUS: without the checks the
 * reads here return zeros from the last partial page or fail with the JVM's InternalError, and where the Vector
 * API's loads have been compiled (a long merge), the JVM dies.
 */
class TruncatedInputTest {

    @TempDir Path dir;

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Bytes before the data buffer: the 8-byte length and the JSON header. */
    static long dataStart(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            var b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return 8 + b.flip().getLong();
        }
    }

    @Test
    void everyTensorReadAfterTruncationIsRefusedByName() throws IOException {
        Path m = RandomModels.write(dir.resolve("m"), RandomModels.Spec.tiny(), DType.F32, 1, 1, 0, 1 << 30);
        Path f = m.resolve("model.safetensors");
        try (Checkpoint c = Checkpoints.open(m); Arena a = Arena.ofConfined()) {
            truncate(f, dataStart(f));
            for (TensorInfo t : c.tensors()) {
                CheckpointException e = assertThrows(CheckpointException.class, () -> c.view(t.name(), a).get(0), t.name());
                assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("'" + t.name() + "'")
                        && e.getMessage().contains("truncated"), e.getMessage());
                assertThrows(CheckpointException.class, () -> c.read(t.name(), a), t.name());
            }
        }
    }

    @Test
    void aMergeWhoseInputShrinksFailsNamingTheFile() throws IOException {
        Path a = RandomModels.write(dir.resolve("a"), RandomModels.Spec.tiny(), DType.F32, 1, 2, 1.0, 1 << 30);
        Path b = RandomModels.write(dir.resolve("b"), RandomModels.Spec.tiny(), DType.F32, 1, 3, 1.0, 1 << 30);
        var recipe = RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n"
                + "  - model: b\n    parameters: {weight: 1}\n", "t.yaml", dir);
        try (MergeRun run = MergeRun.prepare(recipe)) {
            Path f = b.resolve("model.safetensors");
            truncate(f, dataStart(f) + 100);
            for (int threads : new int[] {1, 2}) {
                CheckpointException e = assertThrows(CheckpointException.class,
                        () -> run.toMemory("m", new MergeRun.Options(1, threads, Kernels.fast()), s -> {}).close());
                assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            }
        }
    }

    @Test
    void anInterruptedReaderLeavesTheInputReadable() throws IOException {
        // merge workers are interrupted when another one fails; the size check must not close the file for good
        // (an interrupted FileChannel call does), or every later read of the open checkpoint fails
        Path m = RandomModels.write(dir.resolve("i"), RandomModels.Spec.tiny(), DType.F32, 1, 1, 0, 1 << 30);
        try (Checkpoint c = Checkpoints.open(m); Arena a = Arena.ofConfined()) {
            Thread.currentThread().interrupt();
            try {
                c.raw("model.norm.weight");
            } finally {
                Thread.interrupted();
            }
            assertEquals(16, c.read("model.norm.weight", a).size());
        }
    }
}
