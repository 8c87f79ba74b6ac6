package alloy.search;

import alloy.eval.TaskResult;
import alloy.eval.task.TaskKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The number a search maximises: each task's primary metric on the search split, made comparable across
 * tasks by dividing by the best parent's score on that task (for a metric where lower is better, such as
 * perplexity, the best parent's score divided by the candidate's), then averaged with the task weights. A
 * candidate that matches the best parent on every task scores 1. Where no parent scores above zero on a
 * task, that task enters raw.
 */
public final class Objective {

    private final Map<String, Double> weights;
    private final Map<String, Double> reference = new LinkedHashMap<>();

    public Objective(Map<String, Double> weights) {
        this.weights = Map.copyOf(weights);
    }

    /** Takes each task's best score among {@code parents} as its reference. */
    public Objective calibrate(List<List<TaskResult>> parents) {
        for (List<TaskResult> p : parents) {
            for (TaskResult r : p) {
                double v = r.primary().value();
                boolean higher = TaskKind.higherIsBetter(r.primary().metric());
                reference.merge(r.task(), v, (a, b) -> higher ? Math.max(a, b) : Math.min(a, b));
            }
        }
        return this;
    }

    /** The normalised score of one task. */
    public double normalised(TaskResult r) {
        double v = r.primary().value();
        Double ref = reference.get(r.task());
        boolean higher = TaskKind.higherIsBetter(r.primary().metric());
        if (ref == null || !(ref > 0) || !Double.isFinite(v)) return higher ? v : -v;
        return higher ? v / ref : (v > 0 ? ref / v : 0);
    }

    /** The objective; an infeasible candidate (no scores: it could not be merged) gets the lowest value there is. */
    public double value(List<TaskResult> results) {
        if (results.isEmpty()) return 2 * Evolution.INFEASIBLE;
        double sum = 0, w = 0;
        for (TaskResult r : results) {
            double wt = weights.getOrDefault(r.task(), 1.0);
            sum += wt * normalised(r);
            w += wt;
        }
        return w == 0 ? Double.NaN : sum / w;
    }

    /** How the objective is computed, for the run's output. */
    public String describe() {
        StringBuilder b = new StringBuilder("weighted mean over tasks of score / best parent's score (1 = the best parent on every task): ");
        reference.forEach((t, v) -> b.append(String.format(Locale.ROOT, "%s ref %.4f w %.2f; ", t, v, weights.getOrDefault(t, 1.0))));
        return b.toString().replaceAll("; $", "");
    }
}
