package alloy.eval.model;

import alloy.io.Checkpoint;

/**
 * BERT's forward pass for one unpadded text, written out in plain double-precision Java straight from the
 * Hugging Face definition (separate Q, K, V, scaled scores, exact GELU): the twin the NDArray encoder is
 * checked against on tiny models.
 */
final class BertReference {

    private final BertConfig c;
    private final Checkpoint ck;
    private final String prefix;

    BertReference(BertConfig c, Checkpoint ck, String prefix) {
        this.c = c;
        this.ck = ck;
        this.prefix = prefix;
    }

    private double[] w(String name) {
        float[] f = ck.read(prefix + name, java.lang.foreign.Arena.ofAuto()).toArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Last hidden states, [seq][hidden]. */
    double[][] forward(long[] ids, long[] types) {
        int n = ids.length, h = c.hiddenSize();
        double[] word = w("embeddings.word_embeddings.weight"), pos = w("embeddings.position_embeddings.weight"),
                type = w("embeddings.token_type_embeddings.weight");
        double[][] x = new double[n][h];
        for (int t = 0; t < n; t++) {
            for (int k = 0; k < h; k++) x[t][k] = word[(int) ids[t] * h + k] + pos[t * h + k] + type[(int) types[t] * h + k];
        }
        x = norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            double[][] q = linear(x, w(p + "attention.self.query.weight"), w(p + "attention.self.query.bias"));
            double[][] k = linear(x, w(p + "attention.self.key.weight"), w(p + "attention.self.key.bias"));
            double[][] v = linear(x, w(p + "attention.self.value.weight"), w(p + "attention.self.value.bias"));
            int d = c.headDim();
            double[][] ctx = new double[n][h];
            for (int head = 0; head < c.numHeads(); head++) {
                for (int i = 0; i < n; i++) {
                    double[] s = new double[n];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        for (int e = 0; e < d; e++) s[j] += q[i][head * d + e] * k[j][head * d + e];
                        s[j] /= Math.sqrt(d);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < n; j++) sum += (s[j] = Math.exp(s[j] - max));
                    for (int j = 0; j < n; j++) {
                        for (int e = 0; e < d; e++) ctx[i][head * d + e] += s[j] / sum * v[j][head * d + e];
                    }
                }
            }
            double[][] a = norm(add(linear(ctx, w(p + "attention.output.dense.weight"), w(p + "attention.output.dense.bias")), x),
                    w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"));
            double[][] inner = linear(a, w(p + "intermediate.dense.weight"), w(p + "intermediate.dense.bias"));
            for (double[] row : inner) {
                for (int e = 0; e < row.length; e++) {
                    row[e] = c.activation() == BertConfig.Activation.GELU ? 0.5 * row[e] * (1 + erf(row[e] / Math.sqrt(2))) : Math.max(0, row[e]);
                }
            }
            x = norm(add(linear(inner, w(p + "output.dense.weight"), w(p + "output.dense.bias")), a),
                    w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"));
        }
        return x;
    }

    /** x · Wᵀ + b, W (out, in) row-major. */
    private static double[][] linear(double[][] x, double[] weight, double[] bias) {
        int out = bias.length, in = x[0].length;
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double s = bias[o];
                for (int i = 0; i < in; i++) s += x[t][i] * weight[o * in + i];
                y[t][o] = s;
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] y = new double[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) for (int k = 0; k < a[0].length; k++) y[t][k] = a[t][k] + b[t][k];
        return y;
    }

    private double[][] norm(double[][] x, double[] gamma, double[] beta) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = 0, var = 0;
            for (double v : x[t]) mean += v;
            mean /= x[t].length;
            for (double v : x[t]) var += (v - mean) * (v - mean);
            var /= x[t].length;
            y[t] = new double[x[t].length];
            for (int k = 0; k < x[t].length; k++) y[t][k] = (x[t][k] - mean) / Math.sqrt(var + c.layerNormEps()) * gamma[k] + beta[k];
        }
        return y;
    }

    /** erf by its Maclaurin series (|x| ≤ 3) or the asymptotic continued fraction, to ~1e-12: fine for a reference. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax <= 3) {
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) break;
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double f = 0;
            for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return Math.copySign(r, x);
    }
}
