package alloy.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SIMD kernels over native float32 segments. Each loop runs whole vectors and finishes the tail with the
 * scalar code, so results equal {@link ScalarKernels} exactly for element-wise ops and up to summation
 * order for reductions (which accumulate float products into double lanes).
 */
final class VectorKernels implements Kernels {

    static final VectorKernels INSTANCE = new VectorKernels();

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final long STEP = F.length();
    private static final long STEP_BYTES = STEP * 4L;

    private VectorKernels() {}

    private static FloatVector load(MemorySegment s, long i) { return FloatVector.fromMemorySegment(F, s, i * 4L, LE); }

    private static long bound(long n) { return n - n % STEP; }

    @Override public void weightedSum(List<FloatTensor> xs, float[] w, FloatTensor out) {
        if (xs.size() != w.length) throw new IllegalArgumentException(xs.size() + " tensors but " + w.length + " weights");
        for (FloatTensor x : xs) Kernels.checkSameSize(x, out);
        int k = w.length;
        MemorySegment[] in = new MemorySegment[k];
        for (int j = 0; j < k; j++) in[j] = xs.get(j).data();
        MemorySegment o = out.data();
        long n = out.size(), b = bound(n), i = 0;
        for (; i < b; i += STEP) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < k; j++) acc = load(in[j], i).mul(w[j]).add(acc);
            acc.intoMemorySegment(o, i * 4L, LE);
        }
        for (; i < n; i++) {
            float s = 0f;
            for (int j = 0; j < k; j++) s += w[j] * xs.get(j).get(i);
            out.set(i, s);
        }
    }

    @Override public void sub(FloatTensor a, FloatTensor b, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        long n = a.size(), e = bound(n), i = 0;
        for (; i < e; i += STEP) load(a.data(), i).sub(load(b.data(), i)).intoMemorySegment(out.data(), i * 4L, LE);
        for (; i < n; i++) out.set(i, a.get(i) - b.get(i));
    }

    @Override public void axpy(float alpha, FloatTensor x, FloatTensor y) {
        Kernels.checkSameSize(x, y);
        long n = x.size(), e = bound(n), i = 0;
        for (; i < e; i += STEP) load(x.data(), i).mul(alpha).add(load(y.data(), i)).intoMemorySegment(y.data(), i * 4L, LE);
        for (; i < n; i++) y.set(i, y.get(i) + alpha * x.get(i));
    }

    @Override public void scale(FloatTensor x, float alpha) {
        long n = x.size(), e = bound(n), i = 0;
        for (; i < e; i += STEP) load(x.data(), i).mul(alpha).intoMemorySegment(x.data(), i * 4L, LE);
        for (; i < n; i++) x.set(i, x.get(i) * alpha);
    }

    @Override public void lerp(FloatTensor a, FloatTensor b, float t, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        float s = 1f - t;
        long n = a.size(), e = bound(n), i = 0;
        for (; i < e; i += STEP) {
            load(a.data(), i).mul(s).add(load(b.data(), i).mul(t)).intoMemorySegment(out.data(), i * 4L, LE);
        }
        for (; i < n; i++) out.set(i, s * a.get(i) + t * b.get(i));
    }

    @Override public double dot(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        return reduce(a.data(), b.data(), a.size(), Reduction.DOT);
    }

    @Override public double sumSquares(FloatTensor x) { return reduce(x.data(), x.data(), x.size(), Reduction.DOT); }

    @Override public double sumAbs(FloatTensor x) { return reduce(x.data(), x.data(), x.size(), Reduction.ABS); }

    private enum Reduction { DOT, ABS }

    /**
     * Sums in double lanes: each float vector is split into two halves converted to double, which keeps the
     * accumulated error independent of tensor length (float lanes would lose digits past ~1e7 elements).
     */
    private static double reduce(MemorySegment a, MemorySegment b, long n, Reduction r) {
        long e = bound(n), i = 0;
        DoubleVector acc0 = DoubleVector.zero(D), acc1 = DoubleVector.zero(D);
        boolean split = D.length() * 2 == F.length();
        for (; i < e; i += STEP) {
            FloatVector x = load(a, i);
            FloatVector v = r == Reduction.DOT ? x.mul(load(b, i)) : x.abs();
            if (split) {
                acc0 = acc0.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 0));
                acc1 = acc1.add((DoubleVector) v.convertShape(VectorOperators.F2D, D, 1));
            } else {
                acc0 = acc0.add(v.reduceLanes(VectorOperators.ADD));
            }
        }
        double s = split ? acc0.add(acc1).reduceLanes(VectorOperators.ADD) : acc0.lane(0);
        for (; i < n; i++) {
            float x = a.getAtIndex(FloatTensor.F32, i);
            s += r == Reduction.DOT ? (double) (x * b.getAtIndex(FloatTensor.F32, i)) : Math.abs(x);
        }
        return s;
    }

    @Override public long countOpposite(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        long n = a.size(), e = bound(n), i = 0, count = 0;
        for (; i < e; i += STEP) {
            // The product is negative exactly when both are non-zero with opposite signs (underflow aside, as in the scalar twin).
            count += load(a.data(), i).mul(load(b.data(), i)).compare(VectorOperators.LT, 0f).trueCount();
        }
        for (; i < n; i++) if (a.get(i) * b.get(i) < 0f) count++;
        return count;
    }

    @Override public long firstNonFinite(FloatTensor x) {
        MemorySegment s = x.data();
        long n = x.size(), e = bound(n), i = 0;
        for (; i < e; i += STEP) {
            // NaN and +-Inf are the values whose exponent bits are all ones.
            VectorMask<Float> bad = load(s, i).test(VectorOperators.IS_FINITE).not();
            if (bad.anyTrue()) return i + bad.firstTrue();
        }
        for (; i < n; i++) if (!Float.isFinite(x.get(i))) return i;
        return -1;
    }
}
