package alloy.lora;

import alloy.tensor.FloatTensor;

/** The plain triple loop, each element's sum of products taken in double: the reference for {@link VectorLoraKernels}. */
final class ScalarLoraKernels implements LoraKernels {

    static final ScalarLoraKernels INSTANCE = new ScalarLoraKernels();

    private ScalarLoraKernels() {}

    @Override public void matmulAdd(FloatTensor left, FloatTensor right, FloatTensor out) {
        long[] mkn = LoraKernels.checkProduct(left, right, out);
        long m = mkn[0], k = mkn[1], n = mkn[2];
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
                double s = 0;
                for (long p = 0; p < k; p++) s += (double) left.get(i * k + p) * right.get(p * n + j);
                out.set(i * n + j, (float) (out.get(i * n + j) + s));
            }
        }
    }
}
