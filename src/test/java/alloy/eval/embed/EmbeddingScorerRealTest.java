package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.TaskResult;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.onnx.OnnxCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** bge-small-en scored on the science retrieval set and the sts-pairs set, through the Scorer interface. */
class EmbeddingScorerRealTest {

    private static OnnxCheckpoint bge;
    private static ProxyTask.Retrieval science;

    @BeforeAll static void open() {
        DjlEngine.setThreads(1);
        bge = BertRealModels.open(BertRealModels.BGE);
        science = (ProxyTask.Retrieval) ProxyTasks.load(Path.of("proxy-tasks", "science-qa-retrieval"));
    }

    @AfterAll static void close() { bge.close(); }

    @Test void retrievalAndPairsAreScoredAndTokensAreKept() {
        ProxyTask.Pairs sts = (ProxyTask.Pairs) ProxyTasks.load(Path.of("proxy-tasks", "sts-pairs"));
        EmbeddingScorer.Settings settings = new EmbeddingScorer.Settings(EncoderProfile.BGE, 32, 4096, Bootstrap.seeded(7));
        try (EmbeddingScorer scorer = EmbeddingScorer.open(List.of(science, sts), BertRealModels.testDir(BertRealModels.BGE).resolve("tokenizer.json"), settings)) {
            List<TaskResult> results = scorer.score(bge, Split.SEARCH);
            assertEquals(2, results.size());
            TaskResult retrieval = results.get(0);
            assertEquals("science-qa-retrieval", retrieval.task());
            assertEquals("search", retrieval.split());
            assertEquals(java.util.Set.of("recall@1", "mrr", "ndcg@10"), retrieval.metrics().keySet());
            assertEquals("mrr", retrieval.primary().metric());
            assertEquals(science.items(Split.SEARCH).size(), retrieval.primary().n());
            assertTrue(retrieval.primary().value() > 0.6, "bge on its home ground: " + retrieval.primary());
            // MRR is a mean over queries, so it carries its per-query reciprocal ranks for paired tests
            double[] rr = retrieval.primary().items();
            assertEquals(science.items(Split.SEARCH).size(), rr.length);
            assertEquals(java.util.Arrays.stream(rr).average().orElseThrow(), retrieval.primary().value(), 1e-12);
            assertTrue(java.util.Arrays.stream(rr).allMatch(x -> x == 1.0 / Math.rint(1.0 / x)), "each item is 1/rank: " + java.util.Arrays.toString(rr));
            TaskResult spearman = results.get(1);
            assertEquals("spearman", spearman.primary().metric());
            assertEquals(sts.items(Split.SEARCH).size(), spearman.primary().n());
            assertTrue(spearman.primary().value() > 0.6, "sts-pairs: " + spearman.primary());
            System.out.println("bge search split: " + retrieval.metrics().values() + "; " + spearman.primary());

            RetrievalEval.Prepared before = scorer.retrieval(science, Split.SEARCH);
            List<TaskResult> again = scorer.score(bge, Split.SEARCH);
            assertSame(before, scorer.retrieval(science, Split.SEARCH), "tokenized once per split");
            assertEquals(results.get(0).primary().value(), again.get(0).primary().value(), 1e-9, "same weights, same score");
        }
    }

    @Test void onlyEmbeddingSetsAreAccepted() {
        var e = assertThrows(IllegalArgumentException.class, () -> EmbeddingScorer.open(List.of(), Path.of("x"), EmbeddingScorer.Settings.of(EncoderProfile.E5)));
        assertTrue(e.getMessage().contains("no proxy sets"));
        // a decoder's generation set next to a retrieval set is refused, naming the set
        ProxyTask skill = ProxyTasks.load(Path.of("proxy-tasks", "skill-add"));
        var wrong = assertThrows(IllegalArgumentException.class,
                () -> EmbeddingScorer.open(List.of(science, skill), Path.of("x"), EmbeddingScorer.Settings.of(EncoderProfile.E5)));
        assertTrue(wrong.getMessage().contains("skill-add"), wrong.getMessage());
    }
}
