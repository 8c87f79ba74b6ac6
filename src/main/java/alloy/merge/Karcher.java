package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.lang.foreign.MemorySegment;

/**
 * The Karcher (Riemannian) mean of the models' directions on the unit sphere, rescaled by the mean of
 * their norms (mergekit's karcher). Each tensor is one flat vector; all models weigh equally, base_model
 * included whether listed or not (mergekit gathers it with the others). With u_i = x_i / |x_i| over the
 * models with |x_i| > tol, starting from the normalised mean of the u_i, repeat up to {@code max_iter}
 * times: T = mean_i theta_i / sin(theta_i) (u_i - cos(theta_i) u) over the u_i with theta_i = acos(u.u_i)
 * >= tol; stop when |T| < tol; else u = cos|T| u + sin|T| T / |T|, renormalised (the exponential map).
 * out = (sum_i |x_i| / N) u, the sum over all N models (zero tensors included).
 */
public record Karcher() implements MergeMethod {

    @Override public String name() { return "karcher"; }

    @Override public String summary() { return "Riemannian (Karcher) mean of the models' weights on the sphere"; }

    @Override public List<ParamSpec> parameters() {
        return List.of(ParamSpec.number("max_iter", 10.0), ParamSpec.number("tol", 1e-5));
    }

    @Override public List<ParamSpec> tensorParameters() { return List.of(); }

    @Override public BaseUse base() { return BaseUse.OPTIONAL; }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        List<FloatTensor> all = allWithBase(task);
        if (all.isEmpty()) throw fail(task, this, "no models to average");
        FloatTensor first = all.get(0);
        for (FloatTensor x : all) {
            if (!x.shape().equals(first.shape())) throw fail(task, this, "shapes differ: " + first.shape() + " and " + x.shape());
        }
        if (all.size() == 1) return first.copy(arena);
        double maxIter = global(task, this, "max_iter"), tol = global(task, this, "tol");
        if (maxIter < 0) throw fail(task, this, "max_iter must be >= 0, got " + maxIter);

        int n = all.size();
        double[] norm = new double[n];
        List<FloatTensor> valid = new ArrayList<>();
        List<Double> validNorm = new ArrayList<>();
        double scale = 0;
        for (int i = 0; i < n; i++) {
            norm[i] = Math.sqrt(kernels.sumSquares(all.get(i)));
            scale += norm[i] / n;
            if (norm[i] > tol) {
                valid.add(all.get(i));
                validNorm.add(norm[i]);
            }
        }
        FloatTensor u = FloatTensor.allocate(arena, first.shape());
        if (valid.isEmpty()) return u;
        int v = valid.size();
        double alpha = 1.0 / v;

        float[] c = new float[v];
        for (int i = 0; i < v; i++) c[i] = (float) (alpha / validNorm.get(i));
        kernels.weightedSum(valid, c, u);
        double nu = Math.sqrt(kernels.sumSquares(u));
        if (nu < tol) {
            MemorySegment.copy(valid.get(0).data(), 0, u.data(), 0, u.data().byteSize());
            kernels.scale(u, (float) (1 / validNorm.get(0)));
        } else {
            kernels.scale(u, (float) (1 / nu));
        }

        FloatTensor tangent = FloatTensor.allocate(arena, first.shape());
        for (int iter = 0; iter < (int) maxIter; iter++) {
            // T = sum_i a_i theta_i / sin(theta_i) (x_i / |x_i| - cos_i u) = sum_i k_i x_i - (sum_i k_i |x_i| cos_i) u
            List<FloatTensor> terms = new ArrayList<>();
            List<Float> coefs = new ArrayList<>();
            double along = 0;
            for (int i = 0; i < v; i++) {
                double cos = Math.max(-1, Math.min(1, kernels.dot(u, valid.get(i)) / validNorm.get(i)));
                double theta = Math.acos(cos);
                if (theta < tol) continue;
                double k = alpha * theta / Math.sin(theta);
                terms.add(valid.get(i));
                coefs.add((float) (k / validNorm.get(i)));
                along += k * cos;
            }
            if (terms.isEmpty()) break;
            float[] kc = new float[terms.size()];
            for (int i = 0; i < kc.length; i++) kc[i] = coefs.get(i);
            kernels.weightedSum(terms, kc, tangent);
            kernels.axpy((float) -along, u, tangent);
            double nt = Math.sqrt(kernels.sumSquares(tangent));
            if (nt < tol) break;
            kernels.scale(u, (float) Math.cos(nt));
            kernels.axpy((float) (Math.sin(nt) / nt), tangent, u);
            double norm2 = Math.sqrt(kernels.sumSquares(u));
            if (norm2 > tol) kernels.scale(u, (float) (1 / norm2));
        }
        kernels.scale(u, (float) scale);
        return u;
    }
}
