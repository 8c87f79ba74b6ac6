package alloy.eval;

import alloy.eval.task.Split;
import alloy.eval.task.TaskKind;
import alloy.io.Checkpoint;
import java.util.List;

/**
 * Scores candidate checkpoints (on disk or merged in memory) on a fixed list of proxy tasks. A scorer may
 * keep what does not depend on the weights (tokenized inputs) across candidates; each candidate's native
 * memory is released before {@link #score} returns.
 */
public interface Scorer extends AutoCloseable {

    List<TaskResult> score(Checkpoint candidate, Split split);

    /**
     * Mean of the tasks' primary metrics, the objective sweeps and searches maximise; metrics where lower is
     * better (perplexity) enter negated.
     */
    static double objective(List<TaskResult> results) {
        return results.stream().mapToDouble(r -> TaskKind.higherIsBetter(r.primary().metric()) ? r.primary().value() : -r.primary().value())
                .average().orElse(Double.NaN);
    }

    @Override default void close() {}
}
