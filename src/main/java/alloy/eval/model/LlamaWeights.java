package alloy.eval.model;

import alloy.io.CheckpointException;
import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The parameters of a Llama-family decoder as NDArrays, in Hugging Face orientation: every projection is
 * (out, in). The same record serves inference (arrays loaded from a checkpoint) and training (arrays with
 * gradients attached), so both run one forward pass.
 *
 * @param lmHead the output projection (vocab, hidden); the very same array as {@code embedTokens} when tied
 */
public record LlamaWeights(NDArray embedTokens, List<Layer> layers, NDArray finalNorm, NDArray lmHead, boolean tied) {

    /**
     * One decoder block. Biases are null when the checkpoint has none.
     */
    public record Layer(NDArray inputNorm, NDArray qProj, NDArray qBias, NDArray kProj, NDArray kBias,
                        NDArray vProj, NDArray vBias, NDArray oProj, NDArray oBias, NDArray postNorm,
                        NDArray gateProj, NDArray upProj, NDArray downProj) {}

    public LlamaWeights {
        layers = List.copyOf(layers);
        if (tied && embedTokens != lmHead) throw new IllegalArgumentException("tied weights need lm_head to be the embedding array");
    }

    public static String embedName() { return "model.embed_tokens.weight"; }

    public static String finalNormName() { return "model.norm.weight"; }

    public static String lmHeadName() { return "lm_head.weight"; }

    public static String layerName(int layer, String module) { return "model.layers." + layer + "." + module; }

    /** Hugging Face names and shapes of every tensor {@code config} implies; lm_head only when untied. */
    public static Map<String, long[]> shapes(LlamaConfig c, boolean withOutputBias) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long h = c.hiddenSize();
        m.put(embedName(), new long[] {c.vocabSize(), h});
        for (int l = 0; l < c.numLayers(); l++) {
            m.put(layerName(l, "input_layernorm.weight"), new long[] {h});
            m.put(layerName(l, "self_attn.q_proj.weight"), new long[] {c.qDim(), h});
            m.put(layerName(l, "self_attn.k_proj.weight"), new long[] {c.kvDim(), h});
            m.put(layerName(l, "self_attn.v_proj.weight"), new long[] {c.kvDim(), h});
            if (c.attentionBias()) {
                m.put(layerName(l, "self_attn.q_proj.bias"), new long[] {c.qDim()});
                m.put(layerName(l, "self_attn.k_proj.bias"), new long[] {c.kvDim()});
                m.put(layerName(l, "self_attn.v_proj.bias"), new long[] {c.kvDim()});
            }
            m.put(layerName(l, "self_attn.o_proj.weight"), new long[] {h, c.qDim()});
            if (withOutputBias) m.put(layerName(l, "self_attn.o_proj.bias"), new long[] {h});
            m.put(layerName(l, "post_attention_layernorm.weight"), new long[] {h});
            m.put(layerName(l, "mlp.gate_proj.weight"), new long[] {c.intermediateSize(), h});
            m.put(layerName(l, "mlp.up_proj.weight"), new long[] {c.intermediateSize(), h});
            m.put(layerName(l, "mlp.down_proj.weight"), new long[] {h, c.intermediateSize()});
        }
        m.put(finalNormName(), new long[] {h});
        if (!c.tieWordEmbeddings()) m.put(lmHeadName(), new long[] {c.vocabSize(), h});
        return m;
    }

    /**
     * Loads every tensor of {@code config} from {@code loader}. Q/K/V biases are read when the config asks
     * for them or the checkpoint has them (Llama checkpoints with biases but no {@code attention_bias});
     * o_proj biases when present. Shapes are checked against the config, naming the tensor on mismatch.
     */
    public static LlamaWeights load(WeightLoader loader, LlamaConfig config) {
        boolean qkvBias = config.attentionBias() || loader.has(layerName(0, "self_attn.q_proj.bias"));
        boolean oBias = loader.has(layerName(0, "self_attn.o_proj.bias"));
        LlamaConfig c = qkvBias == config.attentionBias() ? config : withBias(config);
        boolean tiedInFile = !loader.has(lmHeadName());
        if (!c.tieWordEmbeddings() && tiedInFile) {
            throw new CheckpointException(loader.checkpoint().label() + ": no tensor named '" + lmHeadName()
                    + "' and tie_word_embeddings is false");
        }
        Map<String, long[]> shapes = shapes(c, oBias);
        return fromNamed(c, oBias, name -> {
            if (!loader.has(name)) {
                throw new CheckpointException(loader.checkpoint().label() + ": no tensor named '" + name + "' (expected shape "
                        + Arrays.toString(shapes.get(name)) + " for " + c.architecture() + ")");
            }
            return loader.load(name, shapes.get(name));
        });
    }

    static LlamaConfig withBias(LlamaConfig c) {
        return new LlamaConfig(c.architecture(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.ropeTheta(), c.rmsNormEps(), c.maxPositions(),
                c.tieWordEmbeddings(), true, c.slidingWindow(), c.bosTokenId(), c.eosTokenId());
    }

    /** Builds the record from a source of arrays by Hugging Face name (a loader, an initialiser). */
    public static LlamaWeights fromNamed(LlamaConfig c, boolean oBias, Function<String, NDArray> source) {
        NDArray embed = source.apply(embedName());
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            final int layer = l;
            BiFunction<String, Boolean, NDArray> get = (module, present) -> present ? source.apply(layerName(layer, module)) : null;
            layers.add(new Layer(
                    get.apply("input_layernorm.weight", true),
                    get.apply("self_attn.q_proj.weight", true), get.apply("self_attn.q_proj.bias", c.attentionBias()),
                    get.apply("self_attn.k_proj.weight", true), get.apply("self_attn.k_proj.bias", c.attentionBias()),
                    get.apply("self_attn.v_proj.weight", true), get.apply("self_attn.v_proj.bias", c.attentionBias()),
                    get.apply("self_attn.o_proj.weight", true), get.apply("self_attn.o_proj.bias", oBias),
                    get.apply("post_attention_layernorm.weight", true),
                    get.apply("mlp.gate_proj.weight", true), get.apply("mlp.up_proj.weight", true),
                    get.apply("mlp.down_proj.weight", true)));
        }
        NDArray norm = source.apply(finalNormName());
        boolean tied = c.tieWordEmbeddings();
        NDArray head = tied ? embed : source.apply(lmHeadName());
        return new LlamaWeights(embed, layers, norm, head, tied);
    }

    /** Every distinct parameter by Hugging Face name, in checkpoint order (lm_head omitted when tied). */
    public Map<String, NDArray> named() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put(embedName(), embedTokens);
        for (int l = 0; l < layers.size(); l++) {
            Layer b = layers.get(l);
            put(m, layerName(l, "input_layernorm.weight"), b.inputNorm());
            put(m, layerName(l, "self_attn.q_proj.weight"), b.qProj());
            put(m, layerName(l, "self_attn.k_proj.weight"), b.kProj());
            put(m, layerName(l, "self_attn.v_proj.weight"), b.vProj());
            put(m, layerName(l, "self_attn.q_proj.bias"), b.qBias());
            put(m, layerName(l, "self_attn.k_proj.bias"), b.kBias());
            put(m, layerName(l, "self_attn.v_proj.bias"), b.vBias());
            put(m, layerName(l, "self_attn.o_proj.weight"), b.oProj());
            put(m, layerName(l, "self_attn.o_proj.bias"), b.oBias());
            put(m, layerName(l, "post_attention_layernorm.weight"), b.postNorm());
            put(m, layerName(l, "mlp.gate_proj.weight"), b.gateProj());
            put(m, layerName(l, "mlp.up_proj.weight"), b.upProj());
            put(m, layerName(l, "mlp.down_proj.weight"), b.downProj());
        }
        m.put(finalNormName(), finalNorm);
        if (!tied) m.put(lmHeadName(), lmHead);
        return m;
    }

    private static void put(Map<String, NDArray> m, String name, NDArray a) {
        if (a != null) m.put(name, a);
    }
}
