package alloy.tensor;

import java.util.List;

/** Reference kernels: one element at a time, the obvious loop. */
final class ScalarKernels implements Kernels {

    static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override public void weightedSum(List<FloatTensor> xs, float[] w, FloatTensor out) {
        if (xs.size() != w.length) throw new IllegalArgumentException(xs.size() + " tensors but " + w.length + " weights");
        for (FloatTensor x : xs) Kernels.checkSameSize(x, out);
        for (long i = 0; i < out.size(); i++) {
            float s = 0f;
            for (int k = 0; k < w.length; k++) s += w[k] * xs.get(k).get(i);
            out.set(i, s);
        }
    }

    @Override public void sub(FloatTensor a, FloatTensor b, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        for (long i = 0; i < a.size(); i++) out.set(i, a.get(i) - b.get(i));
    }

    @Override public void axpy(float alpha, FloatTensor x, FloatTensor y) {
        Kernels.checkSameSize(x, y);
        for (long i = 0; i < x.size(); i++) y.set(i, y.get(i) + alpha * x.get(i));
    }

    @Override public void scale(FloatTensor x, float alpha) {
        for (long i = 0; i < x.size(); i++) x.set(i, x.get(i) * alpha);
    }

    @Override public void lerp(FloatTensor a, FloatTensor b, float t, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        for (long i = 0; i < a.size(); i++) out.set(i, (1f - t) * a.get(i) + t * b.get(i));
    }

    @Override public double dot(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        double s = 0;
        for (long i = 0; i < a.size(); i++) s += (double) a.get(i) * b.get(i);
        return s;
    }

    @Override public double sumSquares(FloatTensor x) {
        double s = 0;
        for (long i = 0; i < x.size(); i++) s += (double) x.get(i) * x.get(i);
        return s;
    }

    @Override public double sumAbs(FloatTensor x) {
        double s = 0;
        for (long i = 0; i < x.size(); i++) s += Math.abs(x.get(i));
        return s;
    }

    @Override public long countOpposite(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        long n = 0;
        for (long i = 0; i < a.size(); i++) if (a.get(i) * b.get(i) < 0f) n++;
        return n;
    }

    @Override public long firstNonFinite(FloatTensor x) {
        for (long i = 0; i < x.size(); i++) if (!Float.isFinite(x.get(i))) return i;
        return -1;
    }
}
