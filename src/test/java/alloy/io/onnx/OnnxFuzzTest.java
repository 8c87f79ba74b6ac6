package alloy.io.onnx;

import alloy.arch.LayerLayout;
import alloy.io.CheckpointException;
import alloy.io.TensorInfo;
import alloy.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * Any bytes as a .onnx file: parsing, Hugging Face naming, the derived BERT config and reading every weight
 * either work or throw CheckpointException; anything else, a hang or running out of memory is a finding.
 * Inputs: src/test/resources/alloy/io/onnx/OnnxFuzzTestInputs/anyFile.
 */
class OnnxFuzzTest {

    private static final Path FILE = FuzzFiles.directory("alloy-fuzz-onnx").resolve("model.onnx");

    @FuzzTest(maxDuration = "5m")
    void anyFile(byte[] data) {
        FuzzFiles.write(FILE, data);
        try (OnnxCheckpoint c = OnnxCheckpoint.open(FILE); Arena arena = Arena.ofConfined()) {
            c.derivedConfig();
            LayerLayout.of(c).describe();
            for (TensorInfo t : c.tensors()) {
                c.raw(t.name());
                if (t.dtype().arithmetic()) c.read(t.name(), arena);
            }
        } catch (CheckpointException expected) {
            // the one way a bad file may fail
        }
    }
}
