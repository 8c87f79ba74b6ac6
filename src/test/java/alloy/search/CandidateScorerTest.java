package alloy.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import alloy.eval.TaskResult;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.MemoryCheckpoint;
import alloy.io.OutputTarget;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The candidate seam on the real decoder family: a layer-stacking recipe (4 layers -> 6) scored in memory
 * and written to disk and scored from there gives the same item values, since the candidate in memory
 * carries the config of what was built rather than the base's.
 */
class CandidateScorerTest {

    static final Path FAMILY = Path.of("models", "decoder-family").toAbsolutePath();

    @TempDir Path dir;

    @Test
    void aStackedRecipeScoresTheSameInMemoryAndOnDisk() {
        Recipe stacked = RecipeYaml.parse("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: base
                        layer_range: [0, 4]
                  - sources:
                      - model: base
                        layer_range: [2, 4]
                dtype: float32
                """, "stacked", FAMILY);
        try (MergeRun run = MergeRun.prepare(stacked)) {
            assertEquals(6, run.outputConfig().orElseThrow().numLayers().orElseThrow());
            try (MemoryCheckpoint m = run.toMemory("m", MergeRun.Options.defaults(), s -> {})) {
                assertEquals(6, m.config().orElseThrow().numLayers().orElseThrow(), "the candidate in memory knows its own layer count");
            }
            run.toDisk(OutputTarget.of(dir.resolve("stacked"), false), 1L << 30, MergeRun.Options.defaults(), s -> {});
        }
        List<ProxyTask> tasks = List.of(ProxyTasks.load(Path.of("proxy-tasks", "skill-text")), ProxyTasks.load(Path.of("proxy-tasks", "skill-add")));
        try (CandidateScorer scorer = CandidateScorer.forTasks(tasks, Optional.empty(), MergeRun.Options.defaults())) {
            List<TaskResult> memory = scorer.score(new Candidate.Merge("stacked", stacked), Split.SEARCH).results();
            List<TaskResult> disk = scorer.score(new Candidate.Model(dir.resolve("stacked").toString(), dir), Split.SEARCH).results();
            List<TaskResult> base = scorer.score(new Candidate.Model(FAMILY.resolve("base").toString(), dir), Split.SEARCH).results();
            for (int t = 0; t < tasks.size(); t++) {
                assertEquals(disk.get(t).primary().value(), memory.get(t).primary().value(), 1e-6, tasks.get(t).name());
                if (memory.get(t).primary().hasItems()) {
                    assertArrayEquals(disk.get(t).primary().items(), memory.get(t).primary().items(), 1e-6, tasks.get(t).name());
                }
            }
            // and the stacked model is a different model from its base: the check above is not vacuous
            assertNotEquals(base.get(0).primary().value(), memory.get(0).primary().value(), 1e-3);
        }
    }
}
