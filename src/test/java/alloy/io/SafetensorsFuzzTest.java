package alloy.io;

import alloy.arch.LayerLayout;
import alloy.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * Any bytes as a .safetensors file: opening, listing, reading every tensor and reading its layer layout either
 * work or throw CheckpointException; any other exception, a hang or running out of memory is a finding.
 * Inputs: src/test/resources/alloy/io/SafetensorsFuzzTestInputs/anyFile (run in every test run).
 */
class SafetensorsFuzzTest {

    private static final Path FILE = FuzzFiles.directory("alloy-fuzz-st").resolve("model.safetensors");

    @FuzzTest(maxDuration = "5m")
    void anyFile(byte[] data) {
        FuzzFiles.write(FILE, data);
        try (SafetensorsFile st = SafetensorsFile.open(FILE); Arena arena = Arena.ofConfined()) {
            LayerLayout.of(st).describe();
            for (TensorInfo t : st.tensors()) {
                st.raw(t.name());
                if (t.dtype().arithmetic()) st.read(t.name(), arena);
            }
        } catch (CheckpointException expected) {
            // the one way a bad file may fail
        }
    }
}
