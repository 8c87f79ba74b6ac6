package alloy.eval.model;

import alloy.io.CheckpointException;
import alloy.io.HfConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The shape of a Llama-family decoder (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) as its
 * config.json gives it. Everything the forward pass needs is here and checked once, so that a bad config
 * fails when it is read, naming the file and the field.
 *
 * @param architecture      the {@code architectures[0]} entry, one of {@link #ARCHITECTURES}
 * @param attentionBias     q/k/v projections carry a bias (always for Qwen2; {@code attention_bias} for Llama)
 * @param slidingWindow     keys further back than this many positions are masked; 0 for none
 */
public record LlamaConfig(String architecture, int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, double ropeTheta, double rmsNormEps,
                          int maxPositions, boolean tieWordEmbeddings, boolean attentionBias, int slidingWindow,
                          OptionalInt bosTokenId, OptionalInt eosTokenId) {

    public static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

    public LlamaConfig {
        if (!ARCHITECTURES.contains(architecture)) {
            throw new IllegalArgumentException("architecture: expected one of " + ARCHITECTURES + ", found '" + architecture + "'");
        }
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads ("
                    + numKvHeads + ")");
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even for rotary embeddings, found " + headDim);
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("rope_theta must be positive, found " + ropeTheta);
        if (!(rmsNormEps > 0)) throw new IllegalArgumentException("rms_norm_eps must be positive, found " + rmsNormEps);
        if (slidingWindow < 0) throw new IllegalArgumentException("sliding_window must be >= 0, found " + slidingWindow);
        if (bosTokenId == null || eosTokenId == null) throw new IllegalArgumentException("token ids must be OptionalInt, not null");
    }

    private static void positive(String field, int v) {
        if (v <= 0) throw new IllegalArgumentException(field + " must be positive, found " + v);
    }

    /** Query heads sharing one key/value head. */
    public int groupSize() { return numHeads / numKvHeads; }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }

    /** Reads config.json; every error names the file. */
    public static LlamaConfig from(HfConfig config) {
        String where = config.file().toString();
        try {
            return parse(config.json());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(where + ": " + e.getMessage(), e);
        }
    }

    static LlamaConfig parse(ObjectNode j) {
        String arch = textOr(j.path("architectures").path(0), "");
        if (arch.isEmpty()) {
            arch = switch (textOr(j.get("model_type"), "").toLowerCase(Locale.ROOT)) {
                case "llama" -> "LlamaForCausalLM";
                case "mistral" -> "MistralForCausalLM";
                case "qwen2" -> "Qwen2ForCausalLM";
                default -> "";
            };
        }
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("architectures: expected one of " + ARCHITECTURES + ", found '" + arch + "'");
        }
        String act = textOr(j.get("hidden_act"), "silu");
        if (!act.equals("silu")) throw new IllegalArgumentException("hidden_act: expected 'silu', found '" + act + "'");
        JsonNode scaling = j.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            String type = textOr(scaling.get("rope_type"), textOr(scaling.get("type"), ""));
            if (!type.equals("default")) {
                throw new IllegalArgumentException("rope_scaling: only the default rotary embedding is implemented, found type '" + type + "'");
            }
        }
        if (j.path("mlp_bias").asBoolean(false)) throw new IllegalArgumentException("mlp_bias: MLP biases are not implemented");
        int hidden = required(j, "hidden_size");
        int heads = required(j, "num_attention_heads");
        int kvHeads = j.path("num_key_value_heads").isInt() ? j.get("num_key_value_heads").asInt() : heads;
        int headDim = j.path("head_dim").isInt() ? j.get("head_dim").asInt() : hidden / heads;
        if (!j.path("head_dim").isInt() && hidden % heads != 0) {
            throw new IllegalArgumentException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads (" + heads + ")");
        }
        boolean qwen = arch.equals("Qwen2ForCausalLM");
        boolean bias = qwen || j.path("attention_bias").asBoolean(false);
        int window = 0;
        JsonNode w = j.get("sliding_window");
        boolean windowOn = qwen ? j.path("use_sliding_window").asBoolean(false) : true;
        if (windowOn && w != null && w.canConvertToInt()) window = w.asInt();
        return new LlamaConfig(arch, required(j, "vocab_size"), hidden, required(j, "intermediate_size"),
                required(j, "num_hidden_layers"), heads, kvHeads, headDim,
                j.path("rope_theta").asDouble(10000.0), j.path("rms_norm_eps").asDouble(1e-6),
                j.path("max_position_embeddings").asInt(2048), j.path("tie_word_embeddings").asBoolean(false),
                bias, window, optionalInt(j, "bos_token_id"), optionalInt(j, "eos_token_id"));
    }

    private static int required(ObjectNode j, String key) {
        JsonNode n = j.get(key);
        if (n == null || !n.canConvertToInt()) throw new IllegalArgumentException("missing integer field '" + key + "'");
        return n.asInt();
    }

    private static OptionalInt optionalInt(ObjectNode j, String key) {
        JsonNode n = j.get(key);
        return n != null && n.canConvertToInt() ? OptionalInt.of(n.asInt()) : OptionalInt.empty();
    }

    private static String textOr(JsonNode n, String fallback) {
        return n == null || n.isNull() || n.isMissingNode() ? fallback : n.asText();
    }

    /** config.json as Hugging Face transformers writes it for this architecture. */
    public ObjectNode toJson() {
        ObjectNode j = new ObjectMapper().createObjectNode();
        j.putArray("architectures").add(architecture);
        j.put("model_type", switch (architecture) {
            case "MistralForCausalLM" -> "mistral";
            case "Qwen2ForCausalLM" -> "qwen2";
            default -> "llama";
        });
        j.put("vocab_size", vocabSize);
        j.put("hidden_size", hiddenSize);
        j.put("intermediate_size", intermediateSize);
        j.put("num_hidden_layers", numLayers);
        j.put("num_attention_heads", numHeads);
        j.put("num_key_value_heads", numKvHeads);
        j.put("head_dim", headDim);
        j.put("hidden_act", "silu");
        j.put("max_position_embeddings", maxPositions);
        j.put("rms_norm_eps", rmsNormEps);
        j.put("rope_theta", ropeTheta);
        j.putNull("rope_scaling");
        j.put("tie_word_embeddings", tieWordEmbeddings);
        if (!architecture.equals("Qwen2ForCausalLM")) j.put("attention_bias", attentionBias);
        j.put("attention_dropout", 0.0);
        j.put("mlp_bias", false);
        if (slidingWindow > 0) {
            j.put("sliding_window", slidingWindow);
            if (architecture.equals("Qwen2ForCausalLM")) j.put("use_sliding_window", true);
        }
        bosTokenId.ifPresent(id -> j.put("bos_token_id", id));
        eosTokenId.ifPresent(id -> j.put("eos_token_id", id));
        j.put("torch_dtype", "float32");
        j.put("use_cache", true);
        return j;
    }
}
