package alloy.results;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One line of candidates.csv: one candidate's score on one task, metric and split. Every command writes this
 * one schema, so a leaderboard can rank the output of any of them together.
 *
 * @param candidate  the candidate's name within its run, e.g. {@code t=0.669}, {@code gen12-3}, a model path
 * @param recipeHash {@link RecipeHash} of the recipe it was merged from ({@code recipes/<hash>.yaml}); "" for a
 *                   plain checkpoint that was scored as it is
 * @param method     merge method ({@code linear}, {@code ties}, ...), or {@code model} for a plain checkpoint
 * @param params     a short human summary of the parameters, e.g. {@code t=0.669} or {@code w=[0.3,0.7] d=0.5}
 * @param value      the metric; NaN when the statistic is undefined (Spearman of constant scores)
 * @param low        lower end of its interval (95% bootstrap unless the run says otherwise); NaN when unknown
 * @param high       upper end; NaN when unknown
 * @param n          items scored
 * @param seconds    wall time spent building and scoring this candidate on this task; NaN when not measured
 */
public record CandidateRow(String candidate, String recipeHash, String method, String params, Split split,
                           String task, String metric, double value, double low, double high, int n, double seconds) {

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{" + RecipeHash.LENGTH + "}");

    public CandidateRow {
        String what = "candidate row";
        Check.nonBlank(what, "candidate", candidate);
        what = "candidate " + candidate;
        Check.notNull(what, "recipe_hash", recipeHash);
        if (!recipeHash.isEmpty() && !HASH.matcher(recipeHash).matches()) {
            throw new IllegalArgumentException(what + ": recipe_hash \"" + recipeHash + "\" is not " + RecipeHash.LENGTH + " lowercase hex digits");
        }
        Check.nonBlank(what, "method", method);
        Check.notNull(what, "params", params);
        Objects.requireNonNull(split, what + ": split");
        Check.nonBlank(what, "task", task);
        Check.nonBlank(what, "metric", metric);
        Check.finiteOrNaN(what, "value", value);
        Check.finiteOrNaN(what, "low", low);
        Check.finiteOrNaN(what, "high", high);
        // As in Score: the order is checked only among the values that are numbers.
        if (low > high) throw new IllegalArgumentException(what + ": interval [" + low + ", " + high + "] is reversed");
        if (value < low || value > high) {
            throw new IllegalArgumentException(what + ": " + task + " " + metric + " " + value + " outside its interval [" + low + ", " + high + "]");
        }
        if (n <= 0) throw new IllegalArgumentException(what + ": n must be >= 1, got " + n);
        Check.finiteOrNaN(what, "seconds", seconds);
        if (seconds < 0) throw new IllegalArgumentException(what + ": seconds must be >= 0, got " + seconds);
    }

    /** A candidate scored as it is (no merge): no recipe, method {@code model}, no parameters. */
    public static CandidateRow model(String candidate, Split split, String task, String metric, double value, double low,
                                     double high, int n, double seconds) {
        return new CandidateRow(candidate, "", "model", "", split, task, metric, value, low, high, n, seconds);
    }

    /** {@code skill-add exact_match 0.975 [0.925, 1.000] (n=40, search)}. */
    @Override public String toString() {
        return String.format(Locale.ROOT, "%s: %s %s %.3f [%.3f, %.3f] (n=%d, %s)", candidate, task, metric, value, low, high, n, split);
    }
}
