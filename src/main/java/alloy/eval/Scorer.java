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
     * Makes {@code candidate} ready to score on any split (an encoder's weights handed to its engine, say), so
     * that this work can be done while another candidate is being scored; the caller keeps {@code candidate}
     * open until the result is closed. By default nothing is done ahead: each split is scored by
     * {@link #score}.
     */
    default Loaded load(Checkpoint candidate) {
        return new Loaded() {
            @Override public List<TaskResult> score(Split split) { return Scorer.this.score(candidate, split); }

            @Override public void close() {}
        };
    }

    /** One candidate made ready by {@link #load}; closing it frees what the scorer holds of it. */
    interface Loaded extends AutoCloseable {
        List<TaskResult> score(Split split);

        @Override void close();
    }

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
