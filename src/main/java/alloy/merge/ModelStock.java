package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Model Stock (Jang, Yun and Han, arXiv:2403.19522): the average of N >= 2 fine-tunes, pulled towards the
 * base by how much their task vectors agree. With offsets o_i = x_i - b and cos = the mean over pairs i < j
 * of clamp(o_i.o_j / max(|o_i| |o_j|, 1e-6), -1, 1):
 * t = N cos / (1 + (N - 1) cos), out = t * mean_i(x_i) + (1 - t) * b.
 * The paper defines cos for two models; the mean over pairs is mergekit's choice, kept here.
 * {@code filter_wise} (default false) computes t per fibre along the last axis (per row of a matrix; a
 * vector is one row) instead of once per tensor. Where cos = -1/(N-1) t divides by zero, as in mergekit,
 * and the executor reports the non-finite result.
 */
public record ModelStock() implements MergeMethod {

    @Override public String name() { return "model_stock"; }

    @Override public String summary() { return "average of the fine-tunes pulled toward the base by the angle between them (Jang et al., 2024)"; }

    @Override public List<ParamSpec> parameters() { return List.of(ParamSpec.flag("filter_wise", false)); }

    @Override public List<ParamSpec> tensorParameters() { return List.of(); }

    @Override public BaseUse base() { return BaseUse.REQUIRED; }

    @Override public int minModels() { return 2; }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        FloatTensor b = requireBase(task, this);
        List<MergeInput> models = task.nonBase();
        if (models.size() < 2) throw fail(task, this, "needs at least two models besides base_model, got " + models.size());
        checkShapes(task, this, b.shape(), models);
        int n = models.size();
        List<FloatTensor> xs = models.stream().map(MergeInput::tensor).toList();
        Fibers fibers = flag(task, this, "filter_wise") ? Fibers.along(b.shape(), -1) : Fibers.whole(b.size());
        int chunk = (int) Math.max(1, Math.min(fibers.length(), CHUNK));
        FloatTensor[] offsets = new FloatTensor[n];
        for (int i = 0; i < n; i++) offsets[i] = FloatTensor.allocate(arena, Shape.of(chunk));
        FloatTensor out = FloatTensor.allocate(arena, b.shape());
        for (long f = 0; f < fibers.count(); f++) {
            long start = fibers.start(f), end = start + fibers.length();
            double[] sq = new double[n];
            double[][] dot = new double[n][n];
            for (long at = start; at < end; at += chunk) {
                long len = Math.min(chunk, end - at);
                FloatTensor[] o = new FloatTensor[n];
                for (int i = 0; i < n; i++) {
                    o[i] = slice(offsets[i], 0, len);
                    kernels.sub(slice(xs.get(i), at, len), slice(b, at, len), o[i]);
                    sq[i] += kernels.sumSquares(o[i]);
                }
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) dot[i][j] += kernels.dot(o[i], o[j]);
            }
            double cos = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double c = dot[i][j] / Math.max(Math.sqrt(sq[i]) * Math.sqrt(sq[j]), 1e-6);
                    cos += Math.max(-1, Math.min(1, c));
                }
            }
            cos /= n * (n - 1) / 2.0;
            double t = n * cos / (1 + (n - 1) * cos);
            float[] coef = new float[n + 1];
            for (int i = 0; i < n; i++) coef[i] = (float) (t / n);
            coef[n] = (float) (1 - t);
            List<FloatTensor> parts = new ArrayList<>(n + 1);
            for (FloatTensor x : xs) parts.add(slice(x, start, fibers.length()));
            parts.add(slice(b, start, fibers.length()));
            kernels.weightedSum(parts, coef, slice(out, start, fibers.length()));
        }
        return out;
    }
}
