package alloy.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.stats.Bootstrap;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.OutputTarget;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Greedy soup on tiny checkpoints scored by closeness to the average of a and b: the soup starts from the
 * closest single model, takes the other of the pair (their average is the target itself) and refuses the
 * far checkpoint c, which the uniform soup cannot refuse.
 */
class GreedySoupTest {

    @TempDir Path dir;

    @Test
    void keepsWhatImprovesAndRejectsTheRest() {
        RandomModels.Spec spec = RandomModels.Spec.tiny();
        RandomModels.write(dir.resolve("a"), spec, DType.F32, 1, 2, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("b"), spec, DType.F32, 1, 3, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("c"), spec, DType.F32, 1, 4, 6.0, 1 << 30);
        GreedySoup soup = new GreedySoup(List.of("c", "a", "b"), dir, Optional.empty(), Map.of("closeness", 1.0));
        Recipe target = soup.soup(List.of("a", "b"));
        try (MergeRun run = MergeRun.prepare(target)) {
            run.toDisk(OutputTarget.of(dir.resolve("target"), false), 1 << 30, MergeRun.Options.defaults(), s -> {});
        }
        List<GreedySoup.Step> seen = new ArrayList<>();
        try (Checkpoint t = Checkpoints.open(dir.resolve("target"));
             CandidateScorer cs = new CandidateScorer((ref, name) -> new EvolutionTest.Closeness(t), new MergeRun.Options(0, 1, Kernels.fast()))) {
            GreedySoup.Result r = soup.run(cs, Split.SEARCH, Bootstrap.defaults(), seen::add);
            assertEquals(3, r.steps().size());
            assertEquals(GreedySoup.Decision.START, r.steps().get(0).decision());
            assertEquals("c", r.steps().get(2).model(), "the far model is tried last: its own score is the worst");
            assertEquals(GreedySoup.Decision.ACCEPT, r.steps().get(1).decision());
            assertEquals(GreedySoup.Decision.REJECT, r.steps().get(2).decision());
            assertEquals(List.of("a", "b"), r.members().stream().sorted().toList());
            assertEquals(r.steps(), seen);
            double greedy = r.heldout().get(GreedySoup.GREEDY).get(0).primary().value();
            double uniform = r.heldout().get(GreedySoup.UNIFORM).get(0).primary().value();
            double single = r.heldout().get(r.best()).get(0).primary().value();
            assertEquals(1.0, greedy, 1e-6, "the greedy soup is the target");
            assertTrue(greedy > uniform && greedy > single, greedy + " vs uniform " + uniform + ", single " + single);
            assertTrue(r.comparisons().stream().allMatch(c -> c.test().meanDiff() > 0 && c.test().significant()));
        }
    }
}
