package alloy.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.CheckpointException;
import alloy.io.HfConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {

    @TempDir Path dir;

    private LlamaConfig read(String json) throws Exception {
        Files.writeString(dir.resolve("config.json"), json);
        return LlamaConfig.from(HfConfig.read(dir).orElseThrow());
    }

    @Test
    void qwen2HasQkvBiasAndDefaultsFillIn() throws Exception {
        LlamaConfig c = read("""
                {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2, "tie_word_embeddings": true,
                 "sliding_window": 32, "use_sliding_window": false, "rope_theta": 1000000.0}""");
        assertTrue(c.attentionBias());
        assertEquals(8, c.headDim());
        assertEquals(4, c.groupSize());
        assertEquals(0, c.slidingWindow(), "Qwen2 ignores sliding_window unless use_sliding_window");
        assertEquals(1e6, c.ropeTheta());
        assertTrue(c.tieWordEmbeddings());
    }

    @Test
    void mistralWindowAndLlamaDefaults() throws Exception {
        LlamaConfig m = read("""
                {"architectures": ["MistralForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "sliding_window": 16}""");
        assertEquals(16, m.slidingWindow());
        assertFalse(m.attentionBias());
        LlamaConfig l = read("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "bos_token_id": 1, "eos_token_id": 2}""");
        assertEquals("LlamaForCausalLM", l.architecture());
        assertEquals(4, l.numKvHeads(), "no num_key_value_heads: multi-head attention");
        assertEquals(1, l.bosTokenId().getAsInt());
    }

    @Test
    void toJsonReadsBackTheSame() throws Exception {
        LlamaConfig c = LlamaFixtures.config("LlamaForCausalLM", true, false, 0);
        assertEquals(c, read(c.toJson().toString()));
        LlamaConfig q = LlamaFixtures.config("Qwen2ForCausalLM", true, true, 8);
        assertEquals(q, read(q.toJson().toString()));
    }

    @Test
    void errorsNameTheFileAndField() throws Exception {
        var missing = assertThrows(CheckpointException.class, () -> read("""
                {"architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64,
                 "num_hidden_layers": 2, "num_attention_heads": 4}"""));
        assertTrue(missing.getMessage().contains("config.json") && missing.getMessage().contains("intermediate_size"), missing.getMessage());
        var gqa = assertThrows(CheckpointException.class, () -> read("""
                {"architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 3}"""));
        assertTrue(gqa.getMessage().contains("num_key_value_heads (3)"), gqa.getMessage());
        var arch = assertThrows(CheckpointException.class, () -> read("""
                {"architectures": ["BertModel"], "vocab_size": 100}"""));
        assertTrue(arch.getMessage().contains("found 'BertModel'"), arch.getMessage());
        var rope = assertThrows(CheckpointException.class, () -> read("""
                {"architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "rope_scaling": {"rope_type": "llama3", "factor": 8}}"""));
        assertTrue(rope.getMessage().contains("llama3"), rope.getMessage());
    }
}
