package alloy.lora;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.CheckpointException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** rank_pattern / alpha_pattern keys are regular expressions from a file: their cost is bounded. */
class LoraPatternTest {

    static LoraConfig config(String patternKey, String key) {
        ObjectNode json = LoraConfig.JSON.createObjectNode().put("r", 8).put("lora_alpha", 16);
        json.putObject(patternKey).put(key, 4);
        return LoraConfig.parse(Path.of("adapter_config.json"), json);
    }

    @Test
    void catastrophicBacktrackingIsRefusedNamingTheKey() {
        // (.*a){30}b tries every way of cutting 40 a's into 30 pieces before failing: over 2e9 reads unbounded
        String module = "model.layers.0." + "a".repeat(40);
        for (String patternKey : new String[] {"rank_pattern", "alpha_pattern"}) {
            LoraConfig c = config(patternKey, "(.*a){30}b");
            CheckpointException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(CheckpointException.class, () -> c.scaleFor(module)));
            assertTrue(e.getMessage().startsWith("adapter_config.json: " + patternKey + " key '(.*a){30}b'")
                    && e.getMessage().contains("backtracking"), e.getMessage());
        }
    }

    @Test
    void ordinaryPatternsStillMatch() {
        LoraConfig c = config("rank_pattern", "layers\\.[0-9]+\\.self_attn\\.(q|v)_proj");
        assertEquals(4, c.rankFor("model.layers.11.self_attn.v_proj"));
        assertEquals(8, c.rankFor("model.layers.11.self_attn.k_proj"));
        assertEquals(4, c.rankFor("base.model.layers.3.self_attn.q_proj"), "(.*\\.)? prefix as PEFT's get_pattern_key");
    }

    @Test
    void deeplyNestedKeysAreRefused() {
        String deep = "(".repeat(5000) + "a" + ")".repeat(5000);
        CheckpointException e = assertThrows(CheckpointException.class, () -> config("rank_pattern", deep));
        assertTrue(e.getMessage().contains("rank_pattern key") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
