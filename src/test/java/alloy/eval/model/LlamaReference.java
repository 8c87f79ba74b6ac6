package alloy.eval.model;

import alloy.io.Checkpoint;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/**
 * The Llama-family forward pass in plain Java: float arrays and loops, one unpadded sequence, no cache.
 * It is the twin {@link LlamaDecoder} is checked against, written to be read rather than to be fast.
 */
final class LlamaReference {

    private final LlamaConfig c;
    private final Map<String, float[]> w;

    LlamaReference(LlamaConfig config, Map<String, float[]> weights) {
        this.c = config;
        this.w = weights;
    }

    /** Reads every tensor of {@code checkpoint} as float arrays. */
    static LlamaReference of(LlamaConfig config, Checkpoint checkpoint) {
        Map<String, float[]> m = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            for (var info : checkpoint.tensors()) m.put(info.name(), checkpoint.read(info.name(), arena).toArray());
        }
        return new LlamaReference(config, m);
    }

    /** Logits [position][vocab] of {@code ids}. */
    float[][] forward(int[] ids) {
        int n = ids.length;
        int hidden = c.hiddenSize();
        float[] embed = w.get("model.embed_tokens.weight");
        float[][] x = new float[n][hidden];
        for (int t = 0; t < n; t++) System.arraycopy(embed, ids[t] * hidden, x[t], 0, hidden);
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            float[][] h = new float[n][];
            for (int t = 0; t < n; t++) h[t] = rmsNorm(x[t], w.get(p + "input_layernorm.weight"));
            float[][] a = attention(h, p);
            for (int t = 0; t < n; t++) for (int i = 0; i < hidden; i++) x[t][i] += a[t][i];
            for (int t = 0; t < n; t++) {
                float[] hn = rmsNorm(x[t], w.get(p + "post_attention_layernorm.weight"));
                float[] gate = matVec(w.get(p + "mlp.gate_proj.weight"), null, hn, c.intermediateSize());
                float[] up = matVec(w.get(p + "mlp.up_proj.weight"), null, hn, c.intermediateSize());
                float[] act = new float[gate.length];
                for (int i = 0; i < act.length; i++) act[i] = (float) (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
                float[] down = matVec(w.get(p + "mlp.down_proj.weight"), null, act, hidden);
                for (int i = 0; i < hidden; i++) x[t][i] += down[i];
            }
        }
        float[] head = c.tieWordEmbeddings() ? embed : w.get("lm_head.weight");
        float[][] logits = new float[n][];
        for (int t = 0; t < n; t++) logits[t] = matVec(head, null, rmsNorm(x[t], w.get("model.norm.weight")), c.vocabSize());
        return logits;
    }

    private float[][] attention(float[][] h, String p) {
        int n = h.length;
        int d = c.headDim();
        float[][] q = new float[n][], k = new float[n][], v = new float[n][];
        for (int t = 0; t < n; t++) {
            q[t] = matVec(w.get(p + "self_attn.q_proj.weight"), w.get(p + "self_attn.q_proj.bias"), h[t], c.qDim());
            k[t] = matVec(w.get(p + "self_attn.k_proj.weight"), w.get(p + "self_attn.k_proj.bias"), h[t], c.kvDim());
            v[t] = matVec(w.get(p + "self_attn.v_proj.weight"), w.get(p + "self_attn.v_proj.bias"), h[t], c.kvDim());
            for (int head = 0; head < c.numHeads(); head++) rotate(q[t], head * d, t);
            for (int head = 0; head < c.numKvHeads(); head++) rotate(k[t], head * d, t);
        }
        float[][] out = new float[n][c.qDim()];
        for (int head = 0; head < c.numHeads(); head++) {
            int kvHead = head / c.groupSize();
            for (int i = 0; i < n; i++) {
                double[] score = new double[i + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    if (c.slidingWindow() > 0 && i - j >= c.slidingWindow()) { score[j] = Double.NEGATIVE_INFINITY; continue; }
                    double s = 0;
                    for (int e = 0; e < d; e++) s += q[i][head * d + e] * k[j][kvHead * d + e];
                    score[j] = s / Math.sqrt(d);
                    max = Math.max(max, score[j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) { score[j] = Math.exp(score[j] - max); sum += score[j]; }
                for (int e = 0; e < d; e++) {
                    double acc = 0;
                    for (int j = 0; j <= i; j++) acc += score[j] / sum * v[j][kvHead * d + e];
                    out[i][head * d + e] = (float) acc;
                }
            }
        }
        float[][] o = new float[n][];
        for (int t = 0; t < n; t++) o[t] = matVec(w.get(p + "self_attn.o_proj.weight"), w.get(p + "self_attn.o_proj.bias"), out[t], c.hiddenSize());
        return o;
    }

    /** Rotates the pairs (i, i + d/2) of one head by position · θ^(-2i/d). */
    private void rotate(float[] vec, int offset, int position) {
        int d = c.headDim();
        int half = d / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * (1.0 / Math.pow(c.ropeTheta(), 2.0 * i / d));
            double cos = Math.cos(angle), sin = Math.sin(angle);
            double a = vec[offset + i], b = vec[offset + i + half];
            vec[offset + i] = (float) (a * cos - b * sin);
            vec[offset + i + half] = (float) (b * cos + a * sin);
        }
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double ms = 0;
        for (float v : x) ms += v * v;
        ms /= x.length;
        double scale = 1.0 / Math.sqrt(ms + c.rmsNormEps());
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) (x[i] * scale) * weight[i];
        return y;
    }

    /** W · x + b for W stored (rows, x.length) row-major. */
    private static float[] matVec(float[] weight, float[] bias, float[] x, int rows) {
        int cols = x.length;
        if (weight.length != rows * cols) throw new IllegalArgumentException("weight has " + weight.length + " values, expected " + rows + "x" + cols);
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double acc = bias == null ? 0 : bias[r];
            for (int i = 0; i < cols; i++) acc += weight[r * cols + i] * x[i];
            y[r] = (float) acc;
        }
        return y;
    }
}
