package alloy.lora;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;

/**
 * The low-rank product behind every LoRA fold: {@code out += L·R} with L (M, K) and R (K, N) row-major float32,
 * K the adapter rank (4 to 256) and M, N the layer's width (thousands). {@link #fast()} is a blocked Vector
 * API kernel, {@link #reference()} its plain twin that accumulates in double; tests compare the two.
 *
 * <p>The fast kernel accumulates each output element in float with one fused multiply-add per k, in
 * increasing k, starting from the value already in {@code out}. So B'·A' of a {@code cat}-combined adapter
 * (whose rank axis is the source adapters' rank axes one after the other) gives bit for bit the sum of the
 * sources' products folded one after another into the same output: the property tests check.
 */
public sealed interface LoraKernels permits VectorLoraKernels, ScalarLoraKernels {

    static LoraKernels fast() { return VectorLoraKernels.INSTANCE; }

    static LoraKernels reference() { return ScalarLoraKernels.INSTANCE; }

    /** out (M, N) += left (M, K) · right (K, N). */
    void matmulAdd(FloatTensor left, FloatTensor right, FloatTensor out);

    /**
     * out += factor · (B·A) in the layout of the base weight (transposed for embeddings and fan_in_fan_out).
     * The factor multiplies A first, element by element (in float), which is how PEFT's cat combination stores
     * its A; the product then runs over rank.
     *
     * @param a   (r, in)
     * @param b   (out, r)
     * @param out (out, in), or (in, out) when {@code transposed}
     */
    default void addDelta(FloatTensor a, FloatTensor b, double factor, boolean transposed, FloatTensor out, Arena scratch) {
        checkMatrix("A", a);
        checkMatrix("B", b);
        long r = a.shape().dim(0), in = a.shape().dim(1), outF = b.shape().dim(0);
        if (b.shape().dim(1) != r) throw new IllegalArgumentException("B " + b.shape() + " does not match A " + a.shape() + " in rank");
        Shape want = transposed ? Shape.of(in, outF) : Shape.of(outF, in);
        if (!out.shape().equals(want)) throw new IllegalArgumentException("delta of A " + a.shape() + ", B " + b.shape() + " has shape " + want + ", target " + out.shape());
        FloatTensor sa = FloatTensor.allocate(scratch, a.shape());                 // (r, in) = factor · A
        float f = (float) factor;
        for (long i = 0, n = a.size(); i < n; i++) sa.set(i, f * a.get(i));
        if (!transposed) {
            matmulAdd(b, sa, out);                                                  // (out, r)·(r, in)
        } else {
            matmulAdd(transpose(sa, scratch), transpose(b, scratch), out);          // (in, r)·(r, out) = (B·A)^T
        }
    }

    /** A transposed copy of a matrix, in {@code arena}. */
    static FloatTensor transpose(FloatTensor m, Arena arena) {
        checkMatrix("matrix", m);
        long rows = m.shape().dim(0), cols = m.shape().dim(1);
        FloatTensor t = FloatTensor.allocate(arena, Shape.of(cols, rows));
        for (long i = 0; i < rows; i++) {
            for (long j = 0; j < cols; j++) t.set(j * rows + i, m.get(i * cols + j));
        }
        return t;
    }

    static void checkMatrix(String what, FloatTensor t) {
        if (t.shape().rank() != 2) throw new IllegalArgumentException(what + " must be a matrix, got shape " + t.shape());
    }

    /** Checks shapes of {@code out += left · right}; returns {M, K, N}. */
    static long[] checkProduct(FloatTensor left, FloatTensor right, FloatTensor out) {
        checkMatrix("left", left);
        checkMatrix("right", right);
        checkMatrix("out", out);
        long m = left.shape().dim(0), k = left.shape().dim(1), n = right.shape().dim(1);
        if (right.shape().dim(0) != k || out.shape().dim(0) != m || out.shape().dim(1) != n) {
            throw new IllegalArgumentException("cannot add " + left.shape() + "·" + right.shape() + " to " + out.shape());
        }
        return new long[] {m, k, n};
    }
}
