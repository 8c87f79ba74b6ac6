package alloy.eval.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.TaskResult;
import alloy.eval.model.LlamaFixtures;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The decoder scorer reads the committed skill sets and reports each kind's metrics with per-item values. */
class DecoderScorerTest {

    private static final Path ROOT = Path.of("proxy-tasks");

    @Test
    void scoresGenerationChoiceAndPerplexitySets(@TempDir Path tmp) {
        Path dir = LlamaFixtures.write(tmp.resolve("m"), LlamaFixtures.config("LlamaForCausalLM", true, false, 0), false, 2);
        List<ProxyTask> tasks = List.of(ProxyTasks.load(ROOT.resolve("skill-add")), ProxyTasks.load(ROOT.resolve("skill-choice")),
                ProxyTasks.load(ROOT.resolve("skill-text")));
        try (DecoderScorer scorer = DecoderScorer.open(tasks, new DecoderScorer.Settings(16, new Bootstrap(200, 1)));
             Checkpoint ckpt = Checkpoints.open(dir)) {
            List<TaskResult> results = scorer.score(ckpt, Split.HELDOUT);
            assertEquals(3, results.size());
            TaskResult add = results.get(0);
            assertEquals("exact_match", add.primary().metric());
            assertEquals(tasks.get(0).items(Split.HELDOUT).size(), add.primary().items().length);
            TaskResult choice = results.get(1);
            assertTrue(choice.metrics().keySet().containsAll(List.of("acc", "acc_norm")), choice.metrics().keySet().toString());
            double acc = choice.metrics().get("acc").value();
            assertTrue(acc >= 0 && acc <= 1);
            assertEquals(tasks.get(1).items(Split.HELDOUT).size(), choice.metrics().get("acc").n());
            TaskResult text = results.get(2);
            double ppl = text.primary().value();
            // a random model over 53 tokens: worse than certain, not far from uniform
            assertTrue(ppl > 5 && ppl < 500, "perplexity of a random model: " + ppl);
            assertTrue(text.primary().lower() <= ppl && ppl <= text.primary().upper());
        }
    }

    @Test
    void refusesEncoderSets() {
        List<ProxyTask> retrieval = List.of(ProxyTasks.load(ROOT.resolve("code-qa-retrieval")));
        var e = assertThrows(IllegalArgumentException.class, () -> DecoderScorer.open(retrieval, DecoderScorer.Settings.defaults()));
        assertTrue(e.getMessage().contains("code-qa-retrieval"), e.getMessage());
    }
}
