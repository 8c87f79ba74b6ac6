package alloy.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import java.util.Arrays;

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

    /** The end of the whole vectors in [from, to): from + a multiple of STEP. */
    private static long bound(long from, long to) { return to - (to - from) % STEP; }

    // Every kernel runs per block of Blocks.SIZE elements (see Blocks: the JIT compiles a per-block method
    // normally, and an executor worker's idle peers take blocks of its tensor). Blocks start at multiples of
    // STEP, so the vector/tail split inside a block is the one a single loop would make.

    @Override public void weightedSum(List<FloatTensor> xs, float[] w, FloatTensor out) {
        if (xs.size() != w.length) throw new IllegalArgumentException(xs.size() + " tensors but " + w.length + " weights");
        for (FloatTensor x : xs) Kernels.checkSameSize(x, out);
        MemorySegment[] in = new MemorySegment[w.length];
        for (int j = 0; j < in.length; j++) in[j] = xs.get(j).data();
        MemorySegment o = out.data();
        Blocks.forEach(out.size(), (from, to) -> weightedSum(in, w, o, from, to));
    }

    private static void weightedSum(MemorySegment[] in, float[] w, MemorySegment o, long from, long to) {
        int k = w.length;
        long b = bound(from, to), i = from;
        for (; i < b; i += STEP) {
            FloatVector acc = FloatVector.zero(F);
            for (int j = 0; j < k; j++) acc = load(in[j], i).mul(w[j]).add(acc);
            acc.intoMemorySegment(o, i * 4L, LE);
        }
        for (; i < to; i++) {
            float s = 0f;
            for (int j = 0; j < k; j++) s += w[j] * in[j].getAtIndex(FloatTensor.F32, i);
            o.setAtIndex(FloatTensor.F32, i, s);
        }
    }

    @Override public void sub(FloatTensor a, FloatTensor b, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        MemorySegment as = a.data(), bs = b.data(), os = out.data();
        Blocks.forEach(a.size(), (from, to) -> sub(as, bs, os, from, to));
    }

    private static void sub(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        long e = bound(from, to), i = from;
        for (; i < e; i += STEP) load(a, i).sub(load(b, i)).intoMemorySegment(out, i * 4L, LE);
        for (; i < to; i++) out.setAtIndex(FloatTensor.F32, i, a.getAtIndex(FloatTensor.F32, i) - b.getAtIndex(FloatTensor.F32, i));
    }

    @Override public void axpy(float alpha, FloatTensor x, FloatTensor y) {
        Kernels.checkSameSize(x, y);
        MemorySegment xs = x.data(), ys = y.data();
        Blocks.forEach(x.size(), (from, to) -> axpy(alpha, xs, ys, from, to));
    }

    private static void axpy(float alpha, MemorySegment x, MemorySegment y, long from, long to) {
        long e = bound(from, to), i = from;
        for (; i < e; i += STEP) load(x, i).mul(alpha).add(load(y, i)).intoMemorySegment(y, i * 4L, LE);
        for (; i < to; i++) y.setAtIndex(FloatTensor.F32, i, y.getAtIndex(FloatTensor.F32, i) + alpha * x.getAtIndex(FloatTensor.F32, i));
    }

    @Override public void scale(FloatTensor x, float alpha) {
        MemorySegment xs = x.data();
        Blocks.forEach(x.size(), (from, to) -> scale(xs, alpha, from, to));
    }

    private static void scale(MemorySegment x, float alpha, long from, long to) {
        long e = bound(from, to), i = from;
        for (; i < e; i += STEP) load(x, i).mul(alpha).intoMemorySegment(x, i * 4L, LE);
        for (; i < to; i++) x.setAtIndex(FloatTensor.F32, i, x.getAtIndex(FloatTensor.F32, i) * alpha);
    }

    @Override public void lerp(FloatTensor a, FloatTensor b, float t, FloatTensor out) {
        Kernels.checkSameSize(a, b);
        Kernels.checkSameSize(a, out);
        MemorySegment as = a.data(), bs = b.data(), os = out.data();
        Blocks.forEach(a.size(), (from, to) -> lerp(as, bs, t, os, from, to));
    }

    private static void lerp(MemorySegment a, MemorySegment b, float t, MemorySegment out, long from, long to) {
        float s = 1f - t;
        long e = bound(from, to), i = from;
        for (; i < e; i += STEP) load(a, i).mul(s).add(load(b, i).mul(t)).intoMemorySegment(out, i * 4L, LE);
        for (; i < to; i++) out.setAtIndex(FloatTensor.F32, i, s * a.getAtIndex(FloatTensor.F32, i) + t * b.getAtIndex(FloatTensor.F32, i));
    }

    @Override public double dot(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        return reduce(a.data(), b.data(), a.size(), Reduction.DOT);
    }

    @Override public double sumSquares(FloatTensor x) { return reduce(x.data(), x.data(), x.size(), Reduction.DOT); }

    @Override public double sumAbs(FloatTensor x) { return reduce(x.data(), x.data(), x.size(), Reduction.ABS); }

    private enum Reduction { DOT, ABS }

    /** Block sums added in block order ({@link Blocks#sum}): the same value whichever threads ran the blocks. */
    private static double reduce(MemorySegment a, MemorySegment b, long n, Reduction r) {
        return Blocks.sum(n, (from, to) -> reduce(a, b, from, to, r));
    }

    /**
     * Sums in double lanes: each float vector is split into two halves converted to double, which keeps the
     * accumulated error independent of tensor length (float lanes would lose digits past ~1e7 elements).
     */
    private static double reduce(MemorySegment a, MemorySegment b, long from, long to, Reduction r) {
        long e = bound(from, to), i = from;
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
        for (; i < to; i++) {
            float x = a.getAtIndex(FloatTensor.F32, i);
            s += r == Reduction.DOT ? (double) (x * b.getAtIndex(FloatTensor.F32, i)) : Math.abs(x);
        }
        return s;
    }

    @Override public long countOpposite(FloatTensor a, FloatTensor b) {
        Kernels.checkSameSize(a, b);
        MemorySegment as = a.data(), bs = b.data();
        // counts below 2^53 add exactly in double, so the block sum is the exact count
        return (long) Blocks.sum(a.size(), (from, to) -> countOpposite(as, bs, from, to));
    }

    private static long countOpposite(MemorySegment a, MemorySegment b, long from, long to) {
        long e = bound(from, to), i = from, count = 0;
        for (; i < e; i += STEP) {
            // The product is negative exactly when both are non-zero with opposite signs (underflow aside, as in the scalar twin).
            count += load(a, i).mul(load(b, i)).compare(VectorOperators.LT, 0f).trueCount();
        }
        for (; i < to; i++) if (a.getAtIndex(FloatTensor.F32, i) * b.getAtIndex(FloatTensor.F32, i) < 0f) count++;
        return count;
    }

    @Override public long firstNonFinite(FloatTensor x) {
        MemorySegment s = x.data();
        long n = x.size();
        long[] first = new long[Math.toIntExact(Blocks.count(n))];
        Arrays.fill(first, -1);   // a block that did not run (alloy.blocks=off runs one call) found nothing
        Blocks.forEach(n, (from, to) -> first[(int) (from / Blocks.SIZE)] = firstNonFinite(s, from, to));
        for (long f : first) if (f >= 0) return f;
        return -1;
    }

    private static long firstNonFinite(MemorySegment s, long from, long to) {
        long e = bound(from, to), i = from;
        for (; i < e; i += STEP) {
            // NaN and +-Inf are the values whose exponent bits are all ones.
            VectorMask<Float> bad = load(s, i).test(VectorOperators.IS_FINITE).not();
            if (bad.anyTrue()) return i + bad.firstTrue();
        }
        for (; i < to; i++) if (!Float.isFinite(s.getAtIndex(FloatTensor.F32, i))) return i;
        return -1;
    }
}
