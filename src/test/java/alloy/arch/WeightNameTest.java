package alloy.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import alloy.io.MemoryCheckpoint;
import alloy.tensor.FloatTensor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Tensor names as six families write them (the names are those of the published checkpoints): the layer index,
 * the container before it, the module after it, and the role of tensors outside the layers.
 */
class WeightNameTest {

    private static void layer(String name, String container, int layer, String module) {
        WeightName w = WeightName.parse(name);
        assertEquals(WeightName.Role.LAYER, w.role(), name);
        assertEquals(container, w.container(), name);
        assertEquals(OptionalInt.of(layer), w.layer(), name);
        assertEquals(module, w.module(), name);
        assertEquals(name, w.withLayer(layer), "renumbering to the same index gives the name back");
    }

    private static void outside(String name, WeightName.Role role) {
        WeightName w = WeightName.parse(name);
        assertEquals(role, w.role(), name);
        assertFalse(w.layer().isPresent(), name);
    }

    @Test
    void llamaQwen2AndGemma() {
        layer("model.layers.31.self_attn.q_proj.weight", "model.layers", 31, "self_attn.q_proj.weight");
        layer("model.layers.0.self_attn.k_proj.bias", "model.layers", 0, "self_attn.k_proj.bias");          // Qwen2 has q/k/v biases
        layer("model.layers.17.pre_feedforward_layernorm.weight", "model.layers", 17, "pre_feedforward_layernorm.weight"); // Gemma 2
        outside("model.embed_tokens.weight", WeightName.Role.EMBEDDING);
        outside("lm_head.weight", WeightName.Role.LM_HEAD);
        outside("model.norm.weight", WeightName.Role.OTHER);
        assertEquals("model.layers.4.mlp.up_proj.weight", WeightName.parse("model.layers.31.mlp.up_proj.weight").withLayer(4));
    }

    @Test
    void bertAndGpt2() {
        layer("encoder.layer.11.attention.self.query.weight", "encoder.layer", 11, "attention.self.query.weight");
        outside("embeddings.word_embeddings.weight", WeightName.Role.EMBEDDING);
        outside("embeddings.position_embeddings.weight", WeightName.Role.OTHER);
        layer("transformer.h.7.attn.c_attn.weight", "transformer.h", 7, "attn.c_attn.weight");
        layer("h.0.mlp.c_fc.bias", "h", 0, "mlp.c_fc.bias");       // GPT-2 checkpoints saved without the transformer. prefix
        outside("transformer.wte.weight", WeightName.Role.EMBEDDING);
        outside("wte.weight", WeightName.Role.EMBEDDING);
        outside("transformer.wpe.weight", WeightName.Role.OTHER);
    }

    @Test
    void t5HasTwoStacksAndASharedEmbedding() {
        // the first integer segment is the block; the inner layer.N index belongs to the module
        layer("encoder.block.3.layer.1.DenseReluDense.wi.weight", "encoder.block", 3, "layer.1.DenseReluDense.wi.weight");
        layer("decoder.block.5.layer.2.layer_norm.weight", "decoder.block", 5, "layer.2.layer_norm.weight");
        outside("shared.weight", WeightName.Role.EMBEDDING);
        outside("encoder.embed_tokens.weight", WeightName.Role.EMBEDDING);
        outside("lm_head.weight", WeightName.Role.LM_HEAD);
        outside("encoder.final_layer_norm.weight", WeightName.Role.OTHER);
    }

    @Test
    void layoutFindsTheMainStackAndNamesTheOthers() {
        MemoryCheckpoint t5 = new MemoryCheckpoint("t5", Optional.empty());
        for (String n : List.of("shared.weight", "encoder.block.0.layer.0.SelfAttention.q.weight", "encoder.block.1.layer.0.SelfAttention.q.weight",
                "encoder.block.2.layer.0.SelfAttention.q.weight", "decoder.block.0.layer.0.SelfAttention.q.weight",
                "decoder.block.1.layer.0.SelfAttention.q.weight")) {
            t5.put(n, FloatTensor.of(1f));
        }
        LayerLayout l = LayerLayout.of(t5);
        assertEquals("encoder.block", l.mainContainer());
        assertEquals(3, l.numLayers());
        assertEquals(Map.of("encoder.block", 3, "decoder.block", 2), l.containers());
        assertEquals("3 layers in 'encoder.block.N.*' (no layer count in config.json; counted from names); also 'decoder.block.N.*' x2", l.describe());
    }
}
