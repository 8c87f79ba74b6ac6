package alloy.lora;

import alloy.io.CheckpointException;
import alloy.testing.FuzzFiles;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;

/**
 * Any bytes as a PEFT adapter_config.json: reading it and asking the rank, alpha and scale of a few modules
 * (which runs the rank_pattern / alpha_pattern regular expressions) work or throw CheckpointException.
 * Anything else, a hang or running out of memory is a finding.
 * Inputs: src/test/resources/alloy/lora/LoraConfigFuzzTestInputs/anyConfig.
 */
class LoraConfigFuzzTest {

    private static final Path FILE = FuzzFiles.directory("alloy-fuzz-lora").resolve(LoraConfig.FILE_NAME);

    private static final String[] MODULES = {"model.layers.0.self_attn.q_proj", "model.layers.11.mlp.down_proj", "encoder.layer.3.attention.self.query",
            "lm_head", "model.layers.1." + "a".repeat(40)};

    @FuzzTest(maxDuration = "5m")
    void anyConfig(byte[] data) {
        FuzzFiles.write(FILE, data);
        try {
            LoraConfig c = LoraConfig.read(FILE);
            c.maxRank();
            for (String m : MODULES) c.scaleFor(m);
        } catch (CheckpointException expected) {
            // the one way a bad config may fail
        }
    }
}
