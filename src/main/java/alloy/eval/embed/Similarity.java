package alloy.eval.embed;

/**
 * Cosine similarities between embeddings, in plain Java: a few hundred queries against a few hundred
 * passages of 384 floats cost far less than the forward passes that made them.
 */
public final class Similarity {

    private Similarity() {}

    public static double dot(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " dimensions");
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * (double) b[i];
        return s;
    }

    /** Cosine similarity; 0 when either vector is zero. */
    public static double cosine(float[] a, float[] b) {
        double na = dot(a, a), nb = dot(b, b);
        return na == 0 || nb == 0 ? 0 : dot(a, b) / Math.sqrt(na * nb);
    }

    /** Cosine of every row of {@code a} with every row of {@code b}: (a, b). */
    public static double[][] cosines(float[][] a, float[][] b) {
        float[][] ua = unit(a), ub = unit(b);
        double[][] out = new double[a.length][b.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b.length; j++) out[i][j] = dot(ua[i], ub[j]);
        }
        return out;
    }

    /** Each row divided by its norm; zero rows stay zero. */
    static float[][] unit(float[][] vs) {
        float[][] out = new float[vs.length][];
        for (int i = 0; i < vs.length; i++) {
            float[] v = vs[i];
            double n = Math.sqrt(dot(v, v));
            out[i] = new float[v.length];
            if (n == 0) continue;
            for (int k = 0; k < v.length; k++) out[i][k] = (float) (v[k] / n);
        }
        return out;
    }
}
