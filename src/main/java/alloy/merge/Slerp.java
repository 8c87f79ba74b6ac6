package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * Spherical interpolation between base_model (t = 0) and the one other model (t = 1), each tensor taken
 * whole as one flat vector (Shoemake 1985; mergekit's slerp). With a, b the two tensors and
 * cos(theta) = a.b / (|a| |b|) (a norm below 1e-8 is left as is):
 * out = sin((1 - t) theta) / sin(theta) * a + sin(t theta) / sin(theta) * b, or the plain lerp
 * (1 - t) a + t b when |cos(theta)| > 0.9995, where the angle is too small to divide by.
 * t (global, required) lies in [0, 1] (see {@link #parameters()}).
 */
public record Slerp() implements MergeMethod {

    static final double DOT_THRESHOLD = 0.9995;
    private static final double NORM_EPS = 1e-8;

    @Override public String name() { return "slerp"; }

    @Override public String summary() { return "spherical interpolation between two models at t (0: the base, 1: the other)"; }


    /**
     * t in [0, 1]. mergekit does not check it, and outside [0, 1] its formula extrapolates past one model along
     * the arc (and, for nearly parallel tensors, along the line), giving weights neither model has: a recipe
     * with t: 5 meant for 0.5 would merge silently into something broken. Refused at plan time instead; a
     * deliberate extrapolation can be written as task_arithmetic with a lambda above 1.
     */
    @Override public List<ParamSpec> parameters() { return List.of(ParamSpec.required("t").within(0, 1)); }

    @Override public List<ParamSpec> tensorParameters() { return List.of(); }

    @Override public BaseUse base() { return BaseUse.REQUIRED; }

    @Override public int maxModels() { return 1; }

    /**
     * The result alone shows a NaN or infinity in either input: it makes a norm or the dot product non-finite,
     * so cos(theta) is NaN (inf / inf, or NaN itself), theta and both coefficients are NaN and so is every
     * output element. One pass over the result stands for the executor's passes over both inputs and the result.
     */
    @Override public boolean screensFinite(TensorTask task) { return true; }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        FloatTensor a = requireBase(task, this);
        List<MergeInput> others = task.nonBase();
        if (others.size() != 1) throw fail(task, this, "needs exactly one model besides base_model, got " + others.size());
        checkShapes(task, this, a.shape(), others);
        FloatTensor b = others.get(0).tensor();
        double t = global(task, this, "t");
        FloatTensor out = task.result(arena, a.shape());   // lerp and weightedSum write every element
        double na = Math.sqrt(kernels.sumSquares(a)), nb = Math.sqrt(kernels.sumSquares(b));
        double cos = kernels.dot(a, b) / ((na > NORM_EPS ? na : 1) * (nb > NORM_EPS ? nb : 1));
        if (Math.abs(cos) > DOT_THRESHOLD) {
            kernels.lerp(a, b, (float) t, out);
            if (kernels.firstNonFinite(out) >= 0) task.checkFinite(out);
            return out;
        }
        double theta = Math.acos(cos), sin = Math.sin(theta);
        float ca = (float) (Math.sin(theta - theta * t) / sin), cb = (float) (Math.sin(theta * t) / sin);
        kernels.weightedSum(List.of(a, b), new float[] {ca, cb}, out);
        if (kernels.firstNonFinite(out) >= 0) task.checkFinite(out);
        return out;
    }
}
