package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;

/**
 * mergekit's nuslerp: slerp between exactly two models at t = w_1 / (w_0 + w_1) (0.5 when |w_0 + w_1| <
 * 1e-6), models in recipe order. With a base_model the two task vectors x_i - b are interpolated and b added
 * back. The vectors interpolated are:
 * <ul>
 *   <li>{@code nuslerp_flatten} (default true): each tensor whole, as one flat vector;</li>
 *   <li>otherwise fibres along the last axis (rows of a matrix), or with {@code nuslerp_row_wise} along the
 *       first axis: mergekit transposes dim 0 to the end, so "row_wise" interpolates the columns of a matrix.</li>
 * </ul>
 * Per vector, with unit directions u_i = v_i / max(|v_i|, 1e-7) and theta = acos(clamp(u_0.u_1, -1, 1)):
 * out = (sin((1 - t) theta) v_0 + sin(t theta) v_1) / sin(theta), or (1 - t) v_0 + t v_1 where
 * |sin(theta)| < 1e-8. Unlike slerp there is no 0.9995 cut-off.
 */
public record NuSlerp() implements MergeMethod {

    private static final double NORM_EPS = 1e-7, SIN_EPS = 1e-8;

    @Override public String name() { return "nuslerp"; }

    @Override public String summary() { return "spherical interpolation with per-model weights, of the models or of their task vectors over a base"; }

    @Override public List<ParamSpec> parameters() {
        return List.of(ParamSpec.flag("nuslerp_row_wise", false), ParamSpec.flag("nuslerp_flatten", true));
    }

    @Override public List<ParamSpec> tensorParameters() { return List.of(ParamSpec.required("weight")); }

    @Override public BaseUse base() { return BaseUse.OPTIONAL; }

    @Override public int minModels() { return 2; }

    @Override public int maxModels() { return 2; }

    /** Coefficients (c0, c1) with out = c0 v0 + c1 v1, from |v0|^2, |v1|^2 and v0.v1. */
    static double[] coefficients(double t, double s00, double s11, double s01) {
        double n0 = Math.max(Math.sqrt(s00), NORM_EPS), n1 = Math.max(Math.sqrt(s11), NORM_EPS);
        double cos = Math.max(-1, Math.min(1, s01 / (n0 * n1)));
        double theta = Math.acos(cos), sin = Math.sin(theta);
        if (Math.abs(sin) < SIN_EPS) return new double[] {1 - t, t};
        return new double[] {Math.sin((1 - t) * theta) / sin, Math.sin(t * theta) / sin};
    }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        List<MergeInput> models = task.nonBase();
        if (models.size() != 2) throw fail(task, this, "needs exactly two models besides base_model, got " + models.size());
        FloatTensor x0 = models.get(0).tensor(), x1 = models.get(1).tensor();
        checkShapes(task, this, x0.shape(), models);
        Optional<FloatTensor> base = task.base();
        if (base.isPresent() && !base.get().shape().equals(x0.shape())) {
            throw fail(task, this, "base_model has shape " + base.get().shape() + ", models " + x0.shape());
        }
        double w0 = perModel(task, this, models.get(0), "weight"), w1 = perModel(task, this, models.get(1), "weight");
        double t = Math.abs(w0 + w1) < 1e-6 ? 0.5 : w1 / (w0 + w1);
        boolean flatten = flag(task, this, "nuslerp_flatten"), rowWise = flag(task, this, "nuslerp_row_wise");
        Fibers fibers = flatten ? Fibers.whole(x0.size()) : Fibers.along(x0.shape(), rowWise ? 0 : -1);
        FloatTensor out = FloatTensor.allocate(arena, x0.shape());
        FloatTensor b = base.orElse(null);
        if (fibers.contiguous()) contiguous(fibers, t, x0, x1, b, out, arena, kernels);
        else strided(fibers, t, x0, x1, b, out, arena);
        return out;
    }

    /** Fibres that are contiguous ranges: statistics and output with the kernels, a chunk at a time. */
    private static void contiguous(Fibers fibers, double t, FloatTensor x0, FloatTensor x1, FloatTensor b, FloatTensor out,
                                   Arena arena, Kernels kernels) {
        int chunk = (int) Math.max(1, Math.min(fibers.length(), CHUNK));
        FloatTensor d0 = b == null ? null : FloatTensor.allocate(arena, Shape.of(chunk));
        FloatTensor d1 = b == null ? null : FloatTensor.allocate(arena, Shape.of(chunk));
        for (long f = 0; f < fibers.count(); f++) {
            long start = fibers.start(f), end = start + fibers.length();
            double s00 = 0, s11 = 0, s01 = 0;
            for (long at = start; at < end; at += chunk) {
                long len = Math.min(chunk, end - at);
                FloatTensor[] v = vectors(x0, x1, b, d0, d1, at, len, kernels);
                s00 += kernels.sumSquares(v[0]);
                s11 += kernels.sumSquares(v[1]);
                s01 += kernels.dot(v[0], v[1]);
            }
            double[] c = coefficients(t, s00, s11, s01);
            float[] coef = {(float) c[0], (float) c[1]};
            for (long at = start; at < end; at += chunk) {
                long len = Math.min(chunk, end - at);
                FloatTensor[] v = vectors(x0, x1, b, d0, d1, at, len, kernels);
                FloatTensor o = slice(out, at, len);
                kernels.weightedSum(List.of(v[0], v[1]), coef, o);
                if (b != null) kernels.axpy(1f, slice(b, at, len), o);
            }
        }
    }

    /** The two vectors on [at, at + len): the models themselves, or their task vectors in the scratch. */
    private static FloatTensor[] vectors(FloatTensor x0, FloatTensor x1, FloatTensor b, FloatTensor d0, FloatTensor d1,
                                         long at, long len, Kernels kernels) {
        FloatTensor v0 = slice(x0, at, len), v1 = slice(x1, at, len);
        if (b == null) return new FloatTensor[] {v0, v1};
        FloatTensor bs = slice(b, at, len), s0 = slice(d0, 0, len), s1 = slice(d1, 0, len);
        kernels.sub(v0, bs, s0);
        kernels.sub(v1, bs, s1);
        return new FloatTensor[] {s0, s1};
    }

    /**
     * Fibres along axis 0 of a tensor of rank >= 2 (columns of a matrix): walk the rows in memory order and
     * keep three running sums per column, so that the tensor is read row by row, not column by column.
     */
    private static void strided(Fibers fibers, double t, FloatTensor x0, FloatTensor x1, FloatTensor b, FloatTensor out, Arena arena) {
        long cols = fibers.stride(), rows = fibers.length();
        ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;
        MemorySegment s00 = arena.allocate(cols * 8, 8), s11 = arena.allocate(cols * 8, 8), s01 = arena.allocate(cols * 8, 8);
        for (long r = 0; r < rows; r++) {
            for (long c = 0; c < cols; c++) {
                long i = r * cols + c;
                double v0 = b == null ? x0.get(i) : x0.get(i) - b.get(i), v1 = b == null ? x1.get(i) : x1.get(i) - b.get(i);
                s00.setAtIndex(D, c, s00.getAtIndex(D, c) + v0 * v0);
                s11.setAtIndex(D, c, s11.getAtIndex(D, c) + v1 * v1);
                s01.setAtIndex(D, c, s01.getAtIndex(D, c) + v0 * v1);
            }
        }
        for (long c = 0; c < cols; c++) {   // the sums become the coefficients
            double[] k = coefficients(t, s00.getAtIndex(D, c), s11.getAtIndex(D, c), s01.getAtIndex(D, c));
            s00.setAtIndex(D, c, k[0]);
            s11.setAtIndex(D, c, k[1]);
        }
        for (long r = 0; r < rows; r++) {
            for (long c = 0; c < cols; c++) {
                long i = r * cols + c;
                float bi = b == null ? 0f : b.get(i);
                float v0 = x0.get(i) - bi, v1 = x1.get(i) - bi;
                float m = (float) s00.getAtIndex(D, c) * v0 + (float) s11.getAtIndex(D, c) * v1;
                out.set(i, b == null ? m : bi + m);
            }
        }
    }
}
