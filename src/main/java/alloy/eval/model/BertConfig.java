package alloy.eval.model;

import alloy.io.CheckpointException;
import alloy.io.HfConfig;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The shape of a BERT encoder, as config.json states it. Only what the forward pass needs; checked once
 * here so the forward never has to.
 *
 * @param activation the feed-forward nonlinearity: exact (erf) GELU as Hugging Face's {@code "gelu"}, or ReLU
 */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int maxPositions, int typeVocabSize, double layerNormEps, Activation activation) {

    /** The feed-forward activations Alloy's encoder computes. */
    public enum Activation { GELU, RELU }

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) throw new IllegalArgumentException("layer_norm_eps: expected in (0, 1), found " + layerNormEps);
        if (activation == null) throw new IllegalArgumentException("activation: expected GELU or RELU, found null");
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + ": expected > 0, found " + v);
    }

    public int headDim() { return hiddenSize / numHeads; }

    /**
     * Reads a BertModel config.json. Errors name the file and the field: missing sizes, position embeddings
     * other than absolute, activations other than gelu/relu.
     */
    public static BertConfig from(HfConfig config) {
        JsonNode j = config.json();
        String where = config.file().toString();
        String type = j.path("model_type").asText("bert");
        if (!type.equals("bert")) throw new CheckpointException(where + ": model_type expected 'bert', found '" + type + "'");
        String positions = j.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new CheckpointException(where + ": position_embedding_type expected 'absolute', found '" + positions + "'");
        }
        String act = j.path("hidden_act").asText("gelu");
        Activation activation = switch (act) {
            case "gelu" -> Activation.GELU;
            case "relu" -> Activation.RELU;
            default -> throw new CheckpointException(where + ": hidden_act expected 'gelu' or 'relu', found '" + act + "'");
        };
        try {
            return new BertConfig(required(j, where, "vocab_size"), required(j, where, "hidden_size"),
                    required(j, where, "num_hidden_layers"), required(j, where, "num_attention_heads"),
                    required(j, where, "intermediate_size"), j.path("max_position_embeddings").asInt(512),
                    j.path("type_vocab_size").asInt(2), j.path("layer_norm_eps").asDouble(1e-12), activation);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    private static int required(JsonNode j, String where, String key) {
        JsonNode n = j.get(key);
        if (n == null || !n.canConvertToInt()) throw new CheckpointException(where + ": no integer '" + key + "'");
        return n.asInt();
    }
}
