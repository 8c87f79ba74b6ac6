package alloy.eval.model;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.function.UnaryOperator;

/**
 * A BERT encoder (Hugging Face BertModel without the pooler) in NDArray ops on the PyTorch engine:
 * word + position + token-type embeddings and a LayerNorm, then blocks of self-attention → add &amp; norm →
 * GELU feed-forward → add &amp; norm (post-norm, as BERT has it). The output is the last hidden state of
 * every token; pooling it into one vector per text is the caller's business ({@code alloy.eval.embed}).
 *
 * <p>Batches are right-padded: {@code attentionMask} is 1 on real tokens and 0 on padding. Padded keys
 * get no attention; padded positions still produce (meaningless) hidden states. Positions are 0, 1, ...
 * for every row, as Hugging Face numbers them for right padding.
 *
 * <p>Memory: results belong to the manager of the {@code ids} array, never to the weights' manager;
 * each block's intermediates are freed when the block ends, so a batch holds at most one block's worth.
 */
public final class BertEncoder {

    /** Added to the scores of padded keys: far below any real score, yet finite. */
    private static final float MASKED = -1e9f;

    private final BertConfig config;
    private final BertWeights weights;

    public BertEncoder(BertConfig config, BertWeights weights) {
        if (weights.layers().size() != config.numLayers()) {
            throw new IllegalArgumentException("config has " + config.numLayers() + " layers, weights have " + weights.layers().size());
        }
        this.config = config;
        this.weights = weights;
    }

    /**
     * Reads the checkpoint's config.json (or, for ONNX, the config derived from the graph) and loads every
     * weight into {@code manager}, which then owns them: close it to release the model.
     */
    public static BertEncoder load(Checkpoint checkpoint, NDManager manager) {
        var hf = checkpoint.config().orElseThrow(() -> new CheckpointException(checkpoint.label()
                + ": no config.json beside the weights; the encoder needs one to know its shape"));
        BertConfig config = BertConfig.from(hf);
        return new BertEncoder(config, BertWeights.load(new WeightLoader(checkpoint, manager), config));
    }

    public BertConfig config() { return config; }

    public BertWeights weights() { return weights; }

    /** Runs {@link #forward(NDArray, NDArray, NDArray)} on a tokenized batch; the result lives in {@code manager}. */
    public NDArray forward(TextTokenizer.Batch batch, NDManager manager) {
        Shape shape = new Shape(batch.size(), batch.length());
        try (NDArray ids = manager.create(batch.flatIds(), shape);
             NDArray mask = manager.create(batch.flatAttentionMask(), shape);
             NDArray types = manager.create(batch.flatTypeIds(), shape)) {
            return forward(ids, mask, types);
        }
    }

    /**
     * Last hidden states: {@code ids}, {@code attentionMask}, {@code typeIds} (batch, seq) int64 →
     * (batch, seq, hidden) float32, in the manager of {@code ids}.
     */
    public NDArray forward(NDArray ids, NDArray attentionMask, NDArray typeIds) {
        Shape in = ids.getShape();
        if (in.dimension() != 2) throw new IllegalArgumentException("input ids: expected shape (batch, seq), found " + in);
        if (!attentionMask.getShape().equals(in) || !typeIds.getShape().equals(in)) {
            throw new IllegalArgumentException("attention mask " + attentionMask.getShape() + " and type ids " + typeIds.getShape()
                    + ": expected the shape of the ids " + in);
        }
        long batch = in.get(0);
        long seq = in.get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException(seq + " tokens exceed max_position_embeddings " + config.maxPositions()
                    + "; truncate when tokenizing");
        }
        NDManager m = ids.getManager();
        NDArray bias;
        NDArray x;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray positions = m.arange(0, (int) seq).toType(DataType.INT64, false).reshape(1, seq);        // (1, seq)
            NDArray embedded = embed(ids, weights.wordEmbeddings())                                           // (batch, seq, hidden)
                    .add(embed(positions, weights.positionEmbeddings()))                                     // + (1, seq, hidden)
                    .add(embed(typeIds, weights.tokenTypeEmbeddings()));                                     // + (batch, seq, hidden)
            x = layerNorm(embedded, weights.embeddingNormWeight(), weights.embeddingNormBias());            // (batch, seq, hidden)
            bias = attentionMask.toType(DataType.FLOAT32, false).sub(1).mul(-MASKED)                        // 1 → 0, 0 → MASKED
                    .reshape(batch, 1, 1, seq);                                                              // (batch, 1, 1, seq)
            NDScope.unregister(x, bias);
        }
        for (BertWeights.Layer layer : weights.layers()) {
            x = replace(x, h -> block(h, layer, bias));                                                     // (batch, seq, hidden)
        }
        bias.close();
        return x;
    }

    /** One encoder block: (batch, seq, hidden) → (batch, seq, hidden). */
    private NDArray block(NDArray x, BertWeights.Layer w, NDArray bias) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        int heads = config.numHeads();
        int d = config.headDim();
        NDArray qkv = linear(x, w.qkvWeight(), w.qkvBias())                                                 // (batch, seq, 3 · hidden)
                .reshape(batch, seq, 3, heads, d).transpose(2, 0, 3, 1, 4);                                 // (3, batch, heads, seq, headDim)
        NDArray q = qkv.get(0);                                                                             // (batch, heads, seq, headDim), pre-scaled
        NDArray k = qkv.get(1);                                                                             // (batch, heads, seq, headDim)
        NDArray v = qkv.get(2);                                                                             // (batch, heads, seq, headDim)
        NDArray probs = q.matMul(k.transpose(0, 1, 3, 2)).add(bias).softmax(-1);                           // (batch, heads, seq, seq)
        NDArray context = probs.matMul(v)                                                                   // (batch, heads, seq, headDim)
                .transpose(0, 2, 1, 3).reshape(batch, seq, config.hiddenSize());                            // (batch, seq, hidden)
        NDArray attended = layerNorm(linear(context, w.attentionOutWeight(), w.attentionOutBias()).add(x),
                w.attentionNormWeight(), w.attentionNormBias());                                            // (batch, seq, hidden)
        NDArray inner = activation(linear(attended, w.intermediateWeight(), w.intermediateBias()));         // (batch, seq, intermediate)
        return layerNorm(linear(inner, w.outputWeight(), w.outputBias()).add(attended),
                w.outputNormWeight(), w.outputNormBias());                                                  // (batch, seq, hidden)
    }

    private NDArray activation(NDArray x) {
        return switch (config.activation()) {
            case GELU -> Activation.gelu(x);                                                                // exact erf form, as torch's default
            case RELU -> Activation.relu(x);
        };
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.layerNormEps()).singletonOrThrow();
    }

    /** x · Wᵀ + b with W in (out, in) orientation; the result belongs to x's manager. */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return Linear.linear(x, weight, bias).singletonOrThrow();
    }

    /** Rows of {@code table} picked by {@code indices}; the result belongs to the indices' manager. */
    private static NDArray embed(NDArray indices, NDArray table) {
        return Embedding.embedding(indices, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * {@code f(x)} with every array made along the way freed, except the result; {@code x} itself is
     * freed too, since the result replaces it.
     */
    private static NDArray replace(NDArray x, UnaryOperator<NDArray> f) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            out = f.apply(x);
            NDScope.unregister(out);
        }
        x.close();
        return out;
    }
}
