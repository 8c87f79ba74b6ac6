package alloy.eval;

import alloy.eval.stats.Score;
import java.util.Map;
import java.util.Objects;
import java.util.Collections;
import java.util.LinkedHashMap;

/** One proxy task's scores for one candidate on one split; {@code primary} is the manifest's main metric. */
public record TaskResult(String task, String split, Score primary, Map<String, Score> metrics) {
    public TaskResult {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(primary, "primary score of " + task);
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }
}
