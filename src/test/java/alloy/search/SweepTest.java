package alloy.search;

import static org.junit.jupiter.api.Assertions.*;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.QuadraticFit;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep loop on real merges of tiny checkpoints, scored by closeness to a known target: the candidate
 * (1 - x) a + x b is scored per tensor by minus its squared distance to 0.3 a + 0.7 b, so the objective is
 * an exact concave parabola with its peak at x = 0.7, which the sweep must find between its samples.
 */
class SweepTest {

    @TempDir Path dir;

    /** Scores a candidate by -||candidate - target||^2 / numel per tensor (the items). */
    record DistanceScorer(Checkpoint target) implements Scorer {
        @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
            List<TensorInfo> infos = target.tensors();
            double[] items = new double[infos.size()];
            try (Arena a = Arena.ofConfined()) {
                for (int i = 0; i < items.length; i++) {
                    var t = target.read(infos.get(i).name(), a);
                    var c = candidate.read(infos.get(i).name(), a);
                    Kernels.fast().sub(c, t, c);
                    items[i] = -Kernels.fast().sumSquares(c) / c.size() * 1e4;
                }
            }
            var s = Bootstrap.defaults().mean("closeness", items);
            return List.of(new TaskResult("distance", split.key(), s, Map.of("closeness", s)));
        }
    }

    @Test
    void findsThePeakBetweenSamplesAndConfirmsIt() {
        RandomModels.Spec spec = RandomModels.Spec.tiny();
        RandomModels.write(dir.resolve("a"), spec, DType.F32, 1, 2, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("b"), spec, DType.F32, 1, 3, 1.0, 1 << 30);
        Recipe target = RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 0.3}\n"
                + "  - model: b\n    parameters: {weight: 0.7}\n", "target", dir);
        Path targetDir = dir.resolve("target");
        try (MergeRun run = MergeRun.prepare(target)) {
            run.toDisk(OutputTarget.of(targetDir, true), 1 << 30, MergeRun.Options.defaults(), s -> {});
        }
        Recipe recipe = RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n"
                + "  - model: b\n    parameters: {weight: 0}\n", "sweep", dir);
        Sweep sweep = new Sweep(recipe, ParamTarget.parse("models[1].weight"), Optional.of(ParamTarget.parse("models[0].weight")),
                Bootstrap.defaults());
        try (Checkpoint t = Checkpoints.open(targetDir);
             CandidateScorer scorer = new CandidateScorer((ref, name) -> new DistanceScorer(t), new MergeRun.Options(0, 1, Kernels.fast()))) {
            Sweep.Result r = sweep.run(new double[] {0, 0.25, 0.5, 1.0}, scorer, Sweep.Listener.NONE);
            assertTrue(r.fit().isConcave());
            assertEquals(1.0, r.fit().r2(), 1e-6, "the objective is exactly quadratic in x");
            assertEquals(QuadraticFit.Rule.VERTEX, r.proposal().rule());
            assertEquals(0.7, r.proposal().x(), 1e-4);
            assertEquals(0.7, r.winner(), 1e-4, "the confirmed proposal beats every sample");
            Sweep.Point confirm = r.points().stream().filter(p -> p.role() == Sweep.Role.PROPOSAL).findFirst().orElseThrow();
            assertEquals(0, confirm.objective(), 1e-6, "the candidate at the vertex is the target itself");
            assertEquals(0.7, r.winningRecipe().models().get(1).parameters().get("weight").evaluate("x", 0).getAsDouble(), 1e-4);
            assertEquals(0.3, r.winningRecipe().models().get(0).parameters().get("weight").evaluate("x", 0).getAsDouble(), 1e-4);
            // Held-out: the winner and both ends, and paired tests of the winner against each end on both splits.
            assertEquals(3, r.points().stream().filter(p -> p.split() == Split.HELDOUT).count());
            assertEquals(4, r.comparisons().size());
            assertTrue(r.comparisons().stream().allMatch(c -> c.test().meanDiff() > 0), "the winner is closer than either end");
        }
    }
}
