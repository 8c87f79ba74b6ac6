package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.Checkpoint;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.io.resolve.Checkpoints;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX output through the normal merge path ({@code alloy merge RECIPE -o out.onnx}, the format picked from the
 * name): every weight equals the safetensors output of the same recipe, and the graph is the template's.
 */
class MergeOnnxOutputTest {

    @TempDir Path dir;

    @Test
    void onnxAndSafetensorsOutputsHoldTheSameWeights() {
        Path recipe = Path.of("configs", "bge-siblings-linear.yaml").toAbsolutePath();
        Path onnx = dir.resolve("avg.onnx"), st = dir.resolve("avg");
        assertEquals(0, Main.run("merge", recipe.toString(), "-o", onnx.toString()));
        assertEquals(0, Main.run("merge", recipe.toString(), st.toString()));
        assertTrue(Files.isRegularFile(onnx) && Files.isRegularFile(st.resolve("model.safetensors")));
        try (OnnxCheckpoint o = OnnxCheckpoint.open(onnx); Checkpoint s = Checkpoints.open(st); Arena a = Arena.ofConfined()) {
            assertEquals(s.tensors().stream().map(TensorInfo::name).sorted().toList(), o.tensors().stream().map(TensorInfo::name).sorted().toList());
            for (TensorInfo t : s.tensors()) {
                float[] x = s.read(t.name(), a).data().toArray(ValueLayout.JAVA_FLOAT);
                float[] y = o.read(t.name(), a).data().toArray(ValueLayout.JAVA_FLOAT);
                assertArrayEquals(x, y, t.name());
            }
            assertTrue(o.model().inputs().contains("input_ids"), "the template's graph inputs: " + o.model().inputs());
        }
    }
}
