package alloy.recipe;

import alloy.arch.LayerLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Where each searched or learned per-model coefficient sits: for each model, one value per filter group (the
 * filters in order, then every other tensor) per gradient anchor, at column {@code group * anchors + anchor}.
 * An evolve genome and the coefficients {@code alloy learn} trains are laid out so. A tensor belongs to the
 * first group whose filter is a substring of its name, as a mergekit parameter list of {@code {filter, value}}
 * entries picks its value, so the written recipe merges to the very weights searched or learned.
 *
 * <p>With a filter per tensor kind (q_proj, k_proj, ..., down_proj) and an anchor per layer, every tensor
 * has its own coefficient per model: AdaMerging's layer-wise coefficients.
 */
public record CoefficientLayout(List<String> filters, int anchors) {

    public CoefficientLayout {
        filters = List.copyOf(filters);
        if (anchors < 1) throw new IllegalArgumentException("anchors: expected >= 1, found " + anchors);
        checkFilters(filters);
    }

    /**
     * Refuses a filter list no layout can place: "" or "*", which match every tensor (mergekit's catch-all)
     * and would leave the groups after them empty, and a filter listed twice, whose second group is never
     * reached. Search and learn files are checked with it when read.
     */
    public static void checkFilters(List<String> filters) {
        for (int i = 0; i < filters.size(); i++) {
            String f = filters.get(i);
            if (f.isEmpty() || f.equals("*")) throw new IllegalArgumentException("'filters': '" + f + "' matches every tensor; list only the tensors tuned apart");
            if (filters.subList(0, i).contains(f)) throw new IllegalArgumentException("'filters': '" + f + "' is listed twice");
        }
    }

    /** No filters: every tensor shares its model's anchors. */
    public static CoefficientLayout of(int anchors) { return new CoefficientLayout(List.of(), anchors); }

    /** Filter groups and the rest. */
    public int groups() { return filters.size() + 1; }

    /** Coefficients per model. */
    public int columns() { return groups() * anchors; }

    /** The group of {@code tensorName}: its first matching filter, else the last group (the rest). */
    public int group(String tensorName) {
        for (int g = 0; g < filters.size(); g++) if (tensorName.contains(filters.get(g))) return g;
        return filters.size();
    }

    /**
     * The layers (of {@code layers}) at which each group has tensors, from each tensor's depth t as the planner
     * gives it: layer round(t · (layers − 1)). Embeddings, the final norm and the head sit at t = 0, so a group
     * of them alone has layer 0 only; a report lists a group's value where it merges something.
     */
    public List<SortedSet<Integer>> layersByGroup(Map<String, Double> depths, int layers) {
        List<SortedSet<Integer>> at = new ArrayList<>();
        for (int g = 0; g < groups(); g++) at.add(new TreeSet<>());
        depths.forEach((name, t) -> at.get(group(name)).add(LayerLayout.layerAt(t, layers)));
        return at;
    }

    /** The group a recipe's {@code {filter, value}} entry stands for: its filter's, or the rest's (no filter). */
    public int groupOfFilter(String filter) {
        int g = filter == null ? -1 : filters.indexOf(filter);
        return g < 0 ? filters.size() : g;
    }

    /** The label of group {@code g}: its filter, or "rest". */
    public String groupLabel(int g) { return g < filters.size() ? filters.get(g) : "rest"; }

    /** The weight each column gets for a tensor of {@code group} at depth {@code t}: the group's anchors interpolated, zero elsewhere. */
    public float[] interpolation(int group, double t) {
        float[] w = new float[columns()];
        float[] within = anchorWeights(anchors, t);
        System.arraycopy(within, 0, w, group * anchors, anchors);
        return w;
    }

    /**
     * The weight each of {@code anchors} anchors gets at depth {@code t}: the gradient list with a 1 at that anchor,
     * evaluated as the planner evaluates recipe gradients, so training and merging interpolate alike by construction.
     */
    public static float[] anchorWeights(int anchors, double t) {
        float[] w = new float[anchors];
        if (anchors == 1) {
            w[0] = 1;
            return w;
        }
        for (int a = 0; a < anchors; a++) {
            double[] unit = new double[anchors];
            unit[a] = 1;
            w[a] = (float) new ParameterSetting.Gradient(unit).evaluate("", t).orElseThrow();
        }
        return w;
    }

    /**
     * One model's row of coefficients as a recipe parameter: a scalar (one anchor) or a gradient list, under a
     * list of {@code {filter, value}} entries when there are filters (the last entry, without a filter, for the
     * rest).
     */
    public ParameterSetting setting(double[] row) {
        if (row.length != columns()) throw new IllegalArgumentException(row.length + " coefficients for a layout of " + columns());
        List<ParameterSetting.Condition> conditions = new ArrayList<>();
        for (int g = 0; g < groups(); g++) {
            double[] a = new double[anchors];
            for (int k = 0; k < anchors; k++) a[k] = Math.round(row[g * anchors + k] * 1e4) / 1e4;
            ParameterSetting s = anchors == 1 ? new ParameterSetting.Scalar(a[0]) : new ParameterSetting.Gradient(a);
            if (groups() == 1) return s;
            conditions.add(new ParameterSetting.Condition(g < filters.size() ? filters.get(g) : null, s));
        }
        return new ParameterSetting.Filtered(conditions);
    }
}
