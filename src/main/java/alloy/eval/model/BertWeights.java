package alloy.eval.model;

import alloy.io.CheckpointException;
import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.Function;

/**
 * The parameters of a BERT encoder as NDArrays, every Linear weight in Hugging Face (out, in) orientation.
 *
 * <p>One change from the checkpoint, made at load: each layer's query, key and value projections are
 * stacked into one (3 · hidden, hidden) matrix, so attention starts with a single matrix product, and
 * the query rows (weight and bias) are multiplied by 1/√headDim, the attention scale, so the scores need
 * no separate scaling. Both are exact rewrites up to float rounding.
 */
public record BertWeights(NDArray wordEmbeddings, NDArray positionEmbeddings, NDArray tokenTypeEmbeddings,
                          NDArray embeddingNormWeight, NDArray embeddingNormBias, List<Layer> layers) {

    /**
     * One encoder block.
     *
     * @param qkvWeight (3 · hidden, hidden): query (pre-scaled), key, value rows
     * @param qkvBias (3 · hidden)
     */
    public record Layer(NDArray qkvWeight, NDArray qkvBias,
                        NDArray attentionOutWeight, NDArray attentionOutBias,
                        NDArray attentionNormWeight, NDArray attentionNormBias,
                        NDArray intermediateWeight, NDArray intermediateBias,
                        NDArray outputWeight, NDArray outputBias,
                        NDArray outputNormWeight, NDArray outputNormBias) {}

    public BertWeights {
        layers = List.copyOf(layers);
    }

    /** Checkpoints name BERT weights bare (BertModel) or under {@code bert.} (task models); this finds which. */
    public static String prefix(WeightLoader loader) {
        for (String p : new String[] {"", "bert."}) {
            if (loader.has(p + "embeddings.word_embeddings.weight")) return p;
        }
        var names = loader.checkpoint().tensors().stream().limit(5).map(t -> t.name()).toList();
        throw new CheckpointException(loader.checkpoint().label() + ": not a BERT checkpoint: no tensor named "
                + "'embeddings.word_embeddings.weight' or 'bert.embeddings.word_embeddings.weight' (first names: " + names + ")");
    }

    /** Loads every weight {@code c} implies, checking each shape (errors name the tensor, expected vs found). */
    public static BertWeights load(WeightLoader loader, BertConfig c) {
        String p = prefix(loader);
        long h = c.hiddenSize();
        long inter = c.intermediateSize();
        NDArray word = loader.load(p + "embeddings.word_embeddings.weight", c.vocabSize(), h);
        NDArray position = loader.load(p + "embeddings.position_embeddings.weight", c.maxPositions(), h);
        NDArray type = loader.load(p + "embeddings.token_type_embeddings.weight", c.typeVocabSize(), h);
        NDArray normW = loader.load(p + "embeddings.LayerNorm.weight", h);
        NDArray normB = loader.load(p + "embeddings.LayerNorm.bias", h);
        float scale = (float) (1.0 / Math.sqrt(c.headDim()));
        List<Layer> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            String at = p + "encoder.layer." + l + ".";
            float[] scales = {scale, 1, 1};
            NDArray qkvW = loader.stack(List.of(at + "attention.self.query.weight", at + "attention.self.key.weight",
                    at + "attention.self.value.weight"), scales, h, h);                              // (3 · hidden, hidden)
            NDArray qkvB = loader.stack(List.of(at + "attention.self.query.bias", at + "attention.self.key.bias",
                    at + "attention.self.value.bias"), scales, h);                                   // (3 · hidden)
            layers.add(new Layer(qkvW, qkvB,
                    loader.load(at + "attention.output.dense.weight", h, h), loader.load(at + "attention.output.dense.bias", h),
                    loader.load(at + "attention.output.LayerNorm.weight", h), loader.load(at + "attention.output.LayerNorm.bias", h),
                    loader.load(at + "intermediate.dense.weight", inter, h), loader.load(at + "intermediate.dense.bias", inter),
                    loader.load(at + "output.dense.weight", h, inter), loader.load(at + "output.dense.bias", h),
                    loader.load(at + "output.LayerNorm.weight", h), loader.load(at + "output.LayerNorm.bias", h)));
        }
        return new BertWeights(word, position, type, normW, normB, layers);
    }

    /**
     * The record from arrays by checkpoint name (with {@code prefix}), e.g. merged weights that carry gradients
     * back to merge coefficients: query, key and value are stacked and the query pre-scaled with differentiable
     * ops, as {@link #load} does when reading a file.
     */
    public static BertWeights fromNamed(BertConfig c, String prefix, Function<String, NDArray> source) {
        String p = prefix;
        NDArray word = source.apply(p + "embeddings.word_embeddings.weight");
        // a torch-made scalar: autograd keeps mul's operands, and DJL's mul(Number) frees its Java buffer after the op
        NDArray scale = word.getManager().full(new Shape(1), (float) (1.0 / Math.sqrt(c.headDim())), DataType.FLOAT32);
        List<Layer> layers = new ArrayList<>(c.numLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            String at = p + "encoder.layer." + l + ".";
            NDArray qkvW = NDArrays.concat(new NDList(source.apply(at + "attention.self.query.weight").mul(scale),
                    source.apply(at + "attention.self.key.weight"), source.apply(at + "attention.self.value.weight")), 0);   // (3 · hidden, hidden)
            NDArray qkvB = NDArrays.concat(new NDList(source.apply(at + "attention.self.query.bias").mul(scale),
                    source.apply(at + "attention.self.key.bias"), source.apply(at + "attention.self.value.bias")), 0);       // (3 · hidden)
            layers.add(new Layer(qkvW, qkvB,
                    source.apply(at + "attention.output.dense.weight"), source.apply(at + "attention.output.dense.bias"),
                    source.apply(at + "attention.output.LayerNorm.weight"), source.apply(at + "attention.output.LayerNorm.bias"),
                    source.apply(at + "intermediate.dense.weight"), source.apply(at + "intermediate.dense.bias"),
                    source.apply(at + "output.dense.weight"), source.apply(at + "output.dense.bias"),
                    source.apply(at + "output.LayerNorm.weight"), source.apply(at + "output.LayerNorm.bias")));
        }
        return new BertWeights(word, source.apply(p + "embeddings.position_embeddings.weight"), source.apply(p + "embeddings.token_type_embeddings.weight"),
                source.apply(p + "embeddings.LayerNorm.weight"), source.apply(p + "embeddings.LayerNorm.bias"), layers);
    }
}
