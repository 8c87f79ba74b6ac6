package alloy.eval.gen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
             Checkpoint ckpt = Checkpoints.open(dir);
             ai.djl.ndarray.NDManager m = alloy.eval.model.DjlEngine.newManager();
             CausalLm lm = CausalLm.open(ckpt, m)) {
            List<TaskResult> results = scorer.score(ckpt, Split.HELDOUT);
            assertEquals(List.of("skill-add", "skill-choice", "skill-text"), results.stream().map(TaskResult::task).toList());

            // every metric is the statistic of the scoring functions' own per-item values, run here independently
            ProxyTask.Generation add = (ProxyTask.Generation) tasks.get(0);
            var items = add.items(Split.HELDOUT);
            var gen = DecoderScoring.exactMatch(lm, items.stream().map(alloy.eval.task.GenerationItem::prompt).toList(),
                    items.stream().map(alloy.eval.task.GenerationItem::answer).toList(), new GenerationSettings(add.maxTokens(), add.stop(), 16));
            assertEquals("exact_match", results.get(0).primary().metric());
            assertArrayEquals(gen.exactMatch(), results.get(0).primary().items());

            ProxyTask.Choice choice = (ProxyTask.Choice) tasks.get(1);
            var ch = DecoderScoring.choices(lm, choice.items(Split.HELDOUT).stream()
                    .map(i -> new ChoiceQuestion(i.context(), i.choices(), i.answer())).toList(), 16);
            assertArrayEquals(ch.acc(), results.get(1).metrics().get("acc").items());
            assertArrayEquals(ch.accNorm(), results.get(1).metrics().get("acc_norm").items());

            ProxyTask.Perplexity text = (ProxyTask.Perplexity) tasks.get(2);
            var nll = DecoderScoring.perplexity(lm, text.items(Split.HELDOUT).stream().map(alloy.eval.task.TextItem::text).toList(), 16);
            double sum = 0, tokens = 0;
            for (int i = 0; i < nll.nll().length; i++) {
                sum += nll.nll()[i];
                tokens += nll.tokens()[i];
                assertEquals(-nll.nll()[i] / nll.tokens()[i], results.get(2).metrics().get("loglik").items()[i], 1e-12, "loglik of text " + i);
            }
            assertEquals("ppl", results.get(2).primary().metric());
            assertEquals(Math.exp(sum / tokens), results.get(2).primary().value(), 1e-9, "corpus perplexity: exp(total nll / total tokens)");
            assertFalse(results.get(2).primary().hasItems(), "corpus perplexity is not a mean of items, so it carries none for paired tests");
        }
    }

    /** Through another path (the family builder's own evaluation) expert-add scored 56 of 60 held-out additions. */
    @Test
    void agreesWithTheFamilyBuildersScoreOnARealExpert() throws Exception {
        ProxyTask add = ProxyTasks.load(ROOT.resolve("skill-add"));
        double built = java.nio.file.Files.readAllLines(Path.of("results/decoder-family.csv")).stream()
                .filter(l -> l.startsWith("expert-add,add,heldout,")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(',') + 1)))
                .findFirst().orElseThrow();
        try (DecoderScorer scorer = DecoderScorer.open(List.of(add), DecoderScorer.Settings.defaults());
             Checkpoint ckpt = Checkpoints.open(Path.of("models/decoder-family/expert-add"))) {
            double score = scorer.score(ckpt, Split.HELDOUT).get(0).primary().value();
            assertEquals(built, score, 1e-4);
            assertTrue(score > 0.8, "a trained expert on its own skill: " + score);
        }
    }

    @Test
    void refusesEncoderSets() {
        List<ProxyTask> retrieval = List.of(ProxyTasks.load(ROOT.resolve("code-qa-retrieval")));
        var e = assertThrows(IllegalArgumentException.class, () -> DecoderScorer.open(retrieval, DecoderScorer.Settings.defaults()));
        assertTrue(e.getMessage().contains("code-qa-retrieval"), e.getMessage());
    }
}
