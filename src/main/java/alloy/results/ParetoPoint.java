package alloy.results;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One candidate on the Pareto front of a multi-objective search: a line of pareto.csv, whose columns after
 * {@code candidate} are the objectives, one per task, in the order of the first point written.
 *
 * @param objectives task to objective value (search split, turned so that higher is better), in column order
 */
public record ParetoPoint(String candidate, Map<String, Double> objectives) {
    public ParetoPoint {
        Check.nonBlank("pareto point", "candidate", candidate);
        Objects.requireNonNull(objectives, "pareto point " + candidate + ": objectives");
        if (objectives.isEmpty()) throw new IllegalArgumentException("pareto point " + candidate + ": no objectives");
        for (Map.Entry<String, Double> e : objectives.entrySet()) {
            Check.nonBlank("pareto point " + candidate, "objective name", e.getKey());
            if (e.getKey().equals("candidate")) throw new IllegalArgumentException("pareto point " + candidate + ": an objective may not be called \"candidate\"");
            Objects.requireNonNull(e.getValue(), "pareto point " + candidate + ": objective " + e.getKey());
            Check.finiteOrNaN("pareto point " + candidate, e.getKey(), e.getValue());
        }
        objectives = Collections.unmodifiableMap(new LinkedHashMap<>(objectives));
    }
}
