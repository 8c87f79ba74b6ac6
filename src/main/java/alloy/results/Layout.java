package alloy.results;

import java.util.List;
import java.util.Set;

/** File names and CSV headers of a run directory (results/README.md describes them). */
final class Layout {
    private Layout() {}

    static final String RUN = "run.json";
    static final String CANDIDATES = "candidates.csv";
    static final String RECIPES = "recipes";
    static final String SWEEP = "sweep.csv";
    static final String FIT = "fit.json";
    static final String GENERATIONS = "generations.csv";
    static final String COEFFICIENTS = "coefficients.csv";
    static final String PARETO = "pareto.csv";
    static final String SOUP = "soup.csv";
    static final String LOSS = "loss.csv";
    static final String CHECKS = "checks.csv";

    /** run.json's format number; a reader refuses a newer one rather than misread it. */
    static final int FORMAT = 1;

    static final List<String> CANDIDATES_HEADER = List.of("candidate", "recipe_hash", "method", "params", "split", "task",
            "metric", "value", "low", "high", "n", "seconds");
    static final List<String> SWEEP_HEADER = List.of("param", "value", "objective", "is_proposal");
    static final List<String> GENERATIONS_HEADER = List.of("generation", "evaluated", "best", "mean");
    static final List<String> COEFFICIENTS_HEADER = List.of("layer", "model", "parameter", "value");
    static final List<String> SOUP_HEADER = List.of("step", "model", "decision", "score", "metric");
    static final List<String> LOSS_HEADER = List.of("step", "training_loss", "gradient_norm", "seconds");
    /** Then one column per proxy set: its own stopping loss. */
    static final List<String> CHECKS_HEADER = List.of("step", "stopping_loss", "best");

    /** Names the writer owns; {@link RunWriter#text} may not use them. */
    static final Set<String> OWNED = Set.of(RUN, CANDIDATES, RECIPES, SWEEP, FIT, GENERATIONS, COEFFICIENTS, PARETO, SOUP, LOSS, CHECKS);
}
