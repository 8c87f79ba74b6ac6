package alloy.eval.model;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.ndarray.types.Shape;

/**
 * A Llama-family causal decoder (Llama, Mistral, Qwen2) written in NDArray ops: token embedding, blocks
 * of RMSNorm → grouped-query attention with rotary positions → RMSNorm → SwiGLU MLP, a final RMSNorm and
 * the output projection. One forward pass serves full sequences, cached generation steps and training
 * (the weights may carry gradients; nothing here detaches them).
 *
 * <p>Batches are padded: {@code attentionMask} is 1 for real tokens and 0 for padding, over the cached
 * positions and the new ones together. Positions count real tokens only, so left padding (generation)
 * and right padding (scoring, training) both give every row the positions it would have alone.
 */
public final class LlamaDecoder {

    /** Added to the scores of masked keys; finite so that an all-masked row (a pad query) stays a number. */
    private static final float MASKED = -1e9f;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final float[] inverseFrequencies;

    public LlamaDecoder(LlamaConfig config, LlamaWeights weights) {
        if (weights.layers().size() != config.numLayers()) {
            throw new IllegalArgumentException("config has " + config.numLayers() + " layers, weights have " + weights.layers().size());
        }
        this.config = config;
        this.weights = weights;
        int half = config.headDim() / 2;
        this.inverseFrequencies = new float[half];
        for (int i = 0; i < half; i++) {
            inverseFrequencies[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim()));
        }
    }

    /**
     * Reads config.json beside {@code checkpoint} and loads its weights into {@code manager} (which then
     * owns them: close the manager to release the model).
     */
    public static LlamaDecoder load(Checkpoint checkpoint, NDManager manager) {
        var hf = checkpoint.config().orElseThrow(() -> new CheckpointException(checkpoint.label()
                + ": no config.json beside the weights; a decoder needs one to know its shape"));
        LlamaConfig config = LlamaConfig.from(hf);
        LlamaWeights w = LlamaWeights.load(new WeightLoader(checkpoint, manager), config);
        if (w.layers().getFirst().qBias() != null && !config.attentionBias()) config = LlamaWeights.withBias(config);
        return new LlamaDecoder(config, w);
    }

    public LlamaConfig config() { return config; }

    public LlamaWeights weights() { return weights; }

    /** A cache for {@link #forward(NDArray, NDArray, LlamaKvCache)}; close it when generation ends. */
    public LlamaKvCache newCache() { return new LlamaKvCache(config.numLayers()); }

    /** Logits of a full batch without a cache: {@code ids}, {@code attentionMask} (batch, seq) → (batch, seq, vocab). */
    public NDArray forward(NDArray ids, NDArray attentionMask) { return forward(ids, attentionMask, null); }

    /**
     * Logits for {@code ids} (batch, seq) following the positions already in {@code cache} (null: none),
     * appending their keys and values to it. {@code attentionMask} is (batch, past + seq).
     */
    public NDArray forward(NDArray ids, NDArray attentionMask, LlamaKvCache cache) {
        long batch = ids.getShape().get(0);
        long seq = ids.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        if (attentionMask.getShape().dimension() != 2 || attentionMask.getShape().get(0) != batch
                || attentionMask.getShape().get(1) != past + seq) {
            throw new IllegalArgumentException("attention mask: expected shape (" + batch + ", " + (past + seq) + "), found "
                    + attentionMask.getShape());
        }
        if (past + seq > config.maxPositions()) {
            throw new IllegalArgumentException(past + seq + " positions exceed max_position_embeddings " + config.maxPositions());
        }
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false);                               // (batch, past + seq)
        NDArray positions = mask.cumSum(1).sub(1).maximum(0).get(new NDIndex(":, {}:", past));       // (batch, seq)
        Rope rope = rope(positions);
        NDArray bias = attentionBias(mask, past, seq);                                              // (batch, 1, seq, past + seq)

        NDArray x = weights.embedTokens().get(ids.flatten()).reshape(batch, seq, config.hiddenSize()); // (batch, seq, hidden)
        for (int l = 0; l < config.numLayers(); l++) {
            LlamaWeights.Layer layer = weights.layers().get(l);
            NDArray h = rmsNorm(x, layer.inputNorm());                                              // (batch, seq, hidden)
            x = x.add(attention(h, layer, l, rope, bias, cache));                                   // (batch, seq, hidden)
            h = rmsNorm(x, layer.postNorm());
            x = x.add(mlp(h, layer));                                                               // (batch, seq, hidden)
        }
        x = rmsNorm(x, weights.finalNorm());                                                        // (batch, seq, hidden)
        return x.matMul(weights.lmHead().transpose());                                              // (batch, seq, vocab)
    }

    private NDArray attention(NDArray h, LlamaWeights.Layer w, int layer, Rope rope, NDArray bias, LlamaKvCache cache) {
        long batch = h.getShape().get(0);
        long seq = h.getShape().get(1);
        int d = config.headDim();
        NDArray q = linear(h, w.qProj(), w.qBias()).reshape(batch, seq, config.numHeads(), d).transpose(0, 2, 1, 3);   // (batch, heads, seq, headDim)
        NDArray k = linear(h, w.kProj(), w.kBias()).reshape(batch, seq, config.numKvHeads(), d).transpose(0, 2, 1, 3); // (batch, kvHeads, seq, headDim)
        NDArray v = linear(h, w.vProj(), w.vBias()).reshape(batch, seq, config.numKvHeads(), d).transpose(0, 2, 1, 3); // (batch, kvHeads, seq, headDim)
        q = rope.apply(q);
        k = rope.apply(k);
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v);
            k = kv[0];                                                                              // (batch, kvHeads, past + seq, headDim)
            v = kv[1];
        }
        k = repeatKv(k);                                                                            // (batch, heads, past + seq, headDim)
        v = repeatKv(v);
        NDArray scale = constant(q.getManager(), (float) (1.0 / Math.sqrt(d)));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(bias);                    // (batch, heads, seq, past + seq)
        NDArray probs = scores.softmax(-1);
        NDArray out = probs.matMul(v)                                                               // (batch, heads, seq, headDim)
                .transpose(0, 2, 1, 3).reshape(batch, seq, (long) config.numHeads() * d);            // (batch, seq, heads * headDim)
        return linear(out, w.oProj(), w.oBias());                                                   // (batch, seq, hidden)
    }

    private NDArray mlp(NDArray h, LlamaWeights.Layer w) {
        NDArray gate = linear(h, w.gateProj(), null);                                               // (batch, seq, intermediate)
        NDArray up = linear(h, w.upProj(), null);                                                   // (batch, seq, intermediate)
        NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);                                   // silu(gate) * up
        return linear(act, w.downProj(), null);                                                     // (batch, seq, hidden)
    }

    /** x · Wᵀ + b with W in Hugging Face (out, in) orientation. */
    private static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray y = x.matMul(weight.transpose());
        return bias == null ? y : y.add(bias);
    }

    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);                                 // (..., 1)
        return x.div(meanSquare.add(config.rmsNormEps()).sqrt()).mul(weight);
    }

    /**
     * A scalar in memory PyTorch owns. DJL's {@code array.mul(number)} wraps the number in a tensor over a
     * Java direct buffer and closes it after the op; autograd may still hold that tensor for the backward
     * pass (mul and pow save their operands), and once the garbage collector frees the buffer the backward
     * pass reads freed memory. So a differentiable op never takes a Java number here, only arrays like this
     * one. (Adding a number is safe: add saves nothing.)
     */
    private static NDArray constant(NDManager manager, float value) {
        return manager.full(new Shape(1), value, DataType.FLOAT32);
    }

    /** Heads that share a key/value head sit next to each other: head h reads kv head h / groupSize. */
    private NDArray repeatKv(NDArray kv) {
        int group = config.groupSize();
        if (group == 1) return kv;
        var s = kv.getShape();                                                                      // (batch, kvHeads, len, headDim)
        return kv.expandDims(2)                                                                     // (batch, kvHeads, 1, len, headDim)
                .broadcast(s.get(0), s.get(1), group, s.get(2), s.get(3))                           // (batch, kvHeads, group, len, headDim)
                .reshape(s.get(0), s.get(1) * group, s.get(2), s.get(3));                           // (batch, heads, len, headDim)
    }

    /** 0 where query i may read key j (a real token, not after i, inside the window), {@link #MASKED} elsewhere. */
    private NDArray attentionBias(NDArray mask, long past, long seq) {
        NDManager m = mask.getManager();
        long total = past + seq;
        NDArray queryPos = m.arange(past, total).toType(DataType.FLOAT32, false).reshape(seq, 1);    // (seq, 1)
        NDArray keyPos = m.arange(0, total).toType(DataType.FLOAT32, false).reshape(1, total);       // (1, past + seq)
        NDArray allowed = keyPos.lte(queryPos);                                                     // (seq, past + seq)
        if (config.slidingWindow() > 0) allowed = allowed.logicalAnd(queryPos.sub(keyPos).lt(config.slidingWindow()));
        NDArray keys = mask.gt(0).reshape(mask.getShape().get(0), 1, 1, total);                     // (batch, 1, 1, past + seq)
        NDArray both = keys.logicalAnd(allowed.reshape(1, 1, seq, total));                           // (batch, 1, seq, past + seq)
        return both.toType(DataType.FLOAT32, false).sub(1).mul(-MASKED);                            // 1 → 0, 0 → MASKED
    }

    /** cos and sin of every (row, position) angle, (batch, 1, seq, headDim), halves repeated as Hugging Face lays them out. */
    private record Rope(NDArray cos, NDArray sin) {
        /** x · cos + rotateHalf(x) · sin, where rotateHalf([a, b]) = [-b, a] over the last axis. */
        NDArray apply(NDArray x) {
            long half = x.getShape().get(3) / 2;
            NDArray first = x.get(new NDIndex("..., :{}", half));
            NDArray second = x.get(new NDIndex("..., {}:", half));
            NDArray rotated = second.neg().concat(first, -1);                                       // (batch, heads, seq, headDim)
            return x.mul(cos).add(rotated.mul(sin));
        }
    }

    private Rope rope(NDArray positions) {
        NDManager m = positions.getManager();
        NDArray freq = m.create(inverseFrequencies).reshape(1, 1, inverseFrequencies.length);       // (1, 1, headDim / 2)
        NDArray angles = positions.expandDims(-1).mul(freq);                                        // (batch, seq, headDim / 2)
        NDArray full = angles.concat(angles, -1).expandDims(1);                                     // (batch, 1, seq, headDim)
        return new Rope(full.cos(), full.sin());
    }
}
