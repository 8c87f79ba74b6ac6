package alloy.results;

import java.util.Objects;

/**
 * One step of a greedy soup: a line of soup.csv.
 *
 * @param step     0 for the starting model, then one per model tried
 * @param model    the model added (or tried)
 * @param decision start, accept (kept in the soup) or reject
 * @param score    the soup's score with this model in it, on the split the soup is chosen on; NaN when unknown
 * @param metric   what {@code score} measures
 */
public record SoupStep(int step, String model, Decision decision, double score, String metric) {
    public SoupStep {
        Check.nonNegative("soup step", "step", step);
        Check.nonBlank("soup step " + step, "model", model);
        Objects.requireNonNull(decision, "soup step " + step + ": decision");
        Check.finiteOrNaN("soup step " + step, "score", score);
        Check.nonBlank("soup step " + step, "metric", metric);
    }
}
