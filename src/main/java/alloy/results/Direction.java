package alloy.results;

import java.util.Locale;
import java.util.Set;

/**
 * Whether a larger value of a metric is better. Results files carry metric names only, so the direction is
 * read from the name: perplexity and losses go down, every other metric Alloy reports (accuracy, exact
 * match, recall, MRR, nDCG, Spearman) goes up. Agrees with {@code alloy.eval.task.TaskKind.higherIsBetter}
 * (a test checks), without this package depending on the evaluation code.
 */
public enum Direction {
    HIGHER_IS_BETTER, LOWER_IS_BETTER;

    private static final Set<String> LOWER = Set.of("ppl", "perplexity", "loss", "nll");

    public static Direction of(String metric) {
        return LOWER.contains(metric.toLowerCase(Locale.ROOT)) ? LOWER_IS_BETTER : HIGHER_IS_BETTER;
    }

    /** True when {@code a} is strictly better than {@code b}. */
    public boolean better(double a, double b) { return this == HIGHER_IS_BETTER ? a > b : a < b; }

    /** For labels: {@code higher is better}. */
    public String phrase() { return this == HIGHER_IS_BETTER ? "higher is better" : "lower is better"; }
}
