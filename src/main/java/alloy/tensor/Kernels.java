package alloy.tensor;

import java.util.List;

/**
 * Element-wise and reduction kernels over float32 tensors. {@link VectorKernels} is the fast path
 * (jdk.incubator.vector); {@link ScalarKernels} is the plain reference that tests and benchmarks compare
 * it with. Reductions accumulate in double so that results do not depend on tensor size.
 */
public interface Kernels {

    static Kernels fast() { return VectorKernels.INSTANCE; }

    static Kernels reference() { return ScalarKernels.INSTANCE; }

    /** out = sum_i w[i] * xs[i]; {@code out} may alias none of the inputs. */
    void weightedSum(List<FloatTensor> xs, float[] w, FloatTensor out);

    /** out = a - b (out may alias a or b). */
    void sub(FloatTensor a, FloatTensor b, FloatTensor out);

    /** y += alpha * x. */
    void axpy(float alpha, FloatTensor x, FloatTensor y);

    /** x *= alpha. */
    void scale(FloatTensor x, float alpha);

    /** out = (1 - t) * a + t * b (out may alias a or b). */
    void lerp(FloatTensor a, FloatTensor b, float t, FloatTensor out);

    double dot(FloatTensor a, FloatTensor b);

    double sumSquares(FloatTensor x);

    double sumAbs(FloatTensor x);

    /** Number of positions where a and b are both non-zero and of opposite sign (sign conflicts of task vectors). */
    long countOpposite(FloatTensor a, FloatTensor b);

    /** Index of the first NaN or infinite element, or -1 when all are finite. */
    long firstNonFinite(FloatTensor x);

    static void checkSameSize(FloatTensor a, FloatTensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("tensor sizes differ: " + a.shape() + " vs " + b.shape());
        }
    }
}
