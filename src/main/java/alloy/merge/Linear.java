package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * Weighted average of the models (Wortsman et al., "Model soups", arXiv:2203.05482): out = sum_i w_i x_i,
 * divided by sum_i w_i when normalize (default true). Every listed model takes part, base_model included if
 * listed (with its own weight); an unlisted base_model is not merged.
 *
 * <p>Where normalize meets weights summing to exactly 0, mergekit divides by zero and writes inf/NaN; Alloy
 * refuses with an error naming the tensor instead.
 */
public record Linear() implements MergeMethod {

    @Override public String name() { return "linear"; }

    @Override public String summary() { return "weighted average of the models (a model soup when the weights are equal)"; }

    @Override public List<ParamSpec> parameters() { return List.of(ParamSpec.flag("normalize", true)); }

    @Override public List<ParamSpec> tensorParameters() { return List.of(ParamSpec.required("weight")); }

    @Override public BaseUse base() { return BaseUse.UNUSED; }

    /**
     * The result alone shows a NaN or infinity in any input: each output element is a weighted sum of the
     * inputs' elements there, and a non-finite term stays non-finite whatever its weight (0 * inf is NaN)
     * and whatever it is added to. So one pass over the result stands for the executor's passes over
     * every input and the result.
     */
    @Override public boolean screensFinite(TensorTask task) { return true; }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        List<MergeInput> in = task.inputs();
        if (in.isEmpty()) throw fail(task, this, "no models to average");
        checkShapes(task, this, in.get(0).tensor().shape(), in);
        double[] w = new double[in.size()];
        double sum = 0;
        for (int i = 0; i < w.length; i++) sum += w[i] = perModel(task, this, in.get(i), "weight");
        boolean normalize = flag(task, this, "normalize");
        if (normalize && sum == 0) throw fail(task, this, "weights sum to 0, cannot normalize (set normalize: false or change the weights)");
        float[] coef = new float[w.length];
        for (int i = 0; i < w.length; i++) coef[i] = (float) (normalize ? w[i] / sum : w[i]);
        FloatTensor out = task.result(arena, in.get(0).tensor().shape());   // weightedSum writes every element
        kernels.weightedSum(in.stream().map(MergeInput::tensor).toList(), coef, out);
        if (kernels.firstNonFinite(out) >= 0) task.checkFinite(out);
        return out;
    }
}
