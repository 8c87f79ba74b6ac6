package alloy.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.Scorer;
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
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** A recipe of the family: task arithmetic of two experts at the given weights. */
    static Recipe pair(double add, double reverse) {
        return RecipeYaml.parse("merge_method: task_arithmetic\nbase_model: base\nmodels:\n"
                + "  - model: expert-add\n    parameters: {weight: " + add + "}\n"
                + "  - model: expert-reverse\n    parameters: {weight: " + reverse + "}\ndtype: float32\n", "pair", FAMILY);
    }

    /** The production scorer, recording on which threads candidates are loaded and how many loads are still open. */
    static final class Recording implements Scorer {
        final Scorer inner;
        final List<String> loadThreads = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger open = new AtomicInteger();

        Recording(Scorer inner) { this.inner = inner; }

        @Override public List<TaskResult> score(alloy.io.Checkpoint candidate, Split split) { return inner.score(candidate, split); }

        @Override public Loaded load(alloy.io.Checkpoint candidate) {
            loadThreads.add(Thread.currentThread().getName());
            Loaded l = inner.load(candidate);
            open.incrementAndGet();
            return new Loaded() {
                @Override public List<TaskResult> score(Split split) { return l.score(split); }

                @Override public void close() {
                    open.decrementAndGet();
                    l.close();
                }
            };
        }

        @Override public void close() { inner.close(); }
    }

    @Test
    void candidatesBuiltAheadScoreAsTheyDoAloneAndAreAllFreed() {
        List<ProxyTask> tasks = List.of(ProxyTasks.load(Path.of("proxy-tasks", "skill-add")), ProxyTasks.load(Path.of("proxy-tasks", "skill-reverse")));
        List<Candidate> cands = List.of(new Candidate.Merge("a", pair(1.0, 0.0)), new Candidate.Merge("b", pair(0.5, 0.5)),
                new Candidate.Merge("c", pair(0.0, 1.0)));
        List<List<TaskResult>> alone = new ArrayList<>();
        try (CandidateScorer scorer = CandidateScorer.forTasks(tasks, Optional.empty(), MergeRun.Options.defaults())) {
            for (Candidate c : cands) alone.add(scorer.score(c, Split.SEARCH).results());
        }
        Recording[] rec = new Recording[1];
        CandidateScorer.ScorerFactory production = (ref, name) -> alloy.eval.family.Scorers.open(ref, name, tasks, Optional.empty());
        try (CandidateScorer scorer = new CandidateScorer((ref, name) -> rec[0] = new Recording(production.open(ref, name)), MergeRun.Options.defaults())) {
            for (int i = 0; i < cands.size(); i++) {
                Optional<Candidate> next = i + 1 < cands.size() ? Optional.of(cands.get(i + 1)) : Optional.empty();
                List<TaskResult> inTurn = scorer.score(cands.get(i), Split.SEARCH, next).results();
                for (int t = 0; t < tasks.size(); t++) {
                    assertArrayEquals(alone.get(i).get(t).primary().items(), inTurn.get(t).primary().items(), 0, cands.get(i).label() + " on " + tasks.get(t).name());
                }
            }
            // the first candidate opens the scorer here; the next two were loaded while the one before was scored
            assertEquals(List.of("main", "alloy-build-ahead", "alloy-build-ahead"),
                    rec[0].loadThreads.stream().map(n -> n.equals("alloy-build-ahead") ? n : "main").toList());
            assertEquals(0, rec[0].open.get(), "every load is freed once its candidate is scored");
            // a candidate announced but never asked for is built, and freed when another one is asked for
            scorer.score(cands.get(0), Split.SEARCH, Optional.of(cands.get(2)));
            scorer.score(cands.get(1), Split.SEARCH);
            assertEquals(0, rec[0].open.get(), "the unused build ahead is freed");
            scorer.score(cands.get(0), Split.SEARCH, Optional.of(cands.get(2)));
        }
        assertEquals(0, rec[0].open.get(), "closing the scorer frees a build ahead nobody asked for");
        // the scores differ between candidates: the equalities above are not vacuous
        assertNotEquals(alone.get(0).get(0).primary().value(), alone.get(2).get(0).primary().value(), 1e-3);
    }

    @Test
    void anErrorInABuildAheadReachesOnlyTheCallerWhoAsksForThatCandidate() {
        List<ProxyTask> tasks = List.of(ProxyTasks.load(Path.of("proxy-tasks", "skill-add")));
        Recipe broken = RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: expert-add\n    parameters: {weight: 1.0}\n"
                + "  - model: expert-reverse\n    parameters: {weight: -1.0}\nparameters: {normalize: true}\ndtype: float32\n", "zero-sum", FAMILY);
        Candidate good = new Candidate.Merge("good", pair(1.0, 0.0)), bad = new Candidate.Merge("zero-sum", broken);
        try (CandidateScorer scorer = CandidateScorer.forTasks(tasks, Optional.empty(), MergeRun.Options.defaults())) {
            String alone = assertThrows(IllegalArgumentException.class, () -> scorer.score(bad, Split.SEARCH)).getMessage();
            scorer.score(good, Split.SEARCH, Optional.of(bad));   // the bad build fails in the background, silently
            String ahead = assertThrows(IllegalArgumentException.class, () -> scorer.score(bad, Split.SEARCH)).getMessage();
            assertEquals(alone, ahead, "the same error as when built in turn");
            scorer.score(good, Split.SEARCH, Optional.of(bad));
            assertTrue(scorer.score(good, Split.SEARCH).results().get(0).primary().value() >= 0, "a failed build nobody asked for is dropped");
        }
    }
}
