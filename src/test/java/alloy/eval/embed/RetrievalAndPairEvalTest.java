package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Score;
import org.junit.jupiter.api.Test;

/** Ranks and metrics from embeddings, without a model. */
class RetrievalAndPairEvalTest {

    @Test void ranksFollowCosineNotLength() {
        float[][] queries = {{1, 0}, {0, 1}, {1, 1}};
        float[][] passages = {{5, 0}, {1, 0.2f}, {-1, 3}};                     // lengths differ; only directions count
        int[] ranks = RetrievalEval.ranks(queries, passages);
        assertArrayEquals(new int[] {0, 1, 2}, ranks);
        RetrievalEval.Outcome o = RetrievalEval.Outcome.of(ranks);
        assertArrayEquals(new double[] {1, 0, 0}, o.recallAt1());
        assertArrayEquals(new double[] {1, 0.5, 1 / 3.0}, o.reciprocalRank(), 1e-12);
        assertArrayEquals(new double[] {1, 1 / (Math.log(3) / Math.log(2)), 0.5}, o.ndcgAt10(), 1e-12);
        Score mrr = o.scores(Bootstrap.defaults()).get("mrr");
        assertEquals((1 + 0.5 + 1 / 3.0) / 3, mrr.value(), 1e-12);
        assertEquals(3, mrr.n());
    }

    @Test void poolOnlyPassagesAreDistractorsForEveryQuery() {
        float[][] queries = {{1, 0}, {0, 1}};
        // Passages 0 and 1 belong to queries 0 and 1; passage 2, a near miss of query 0, sits closer to it than its own.
        float[][] passages = {{1, 0.3f}, {0, 1}, {1, 0.1f}};
        assertArrayEquals(new int[] {1, 0}, RetrievalEval.ranks(queries, passages));
    }

    @Test void domainBalancedScoresWeighEveryDomainTheSame() {
        RetrievalEval.Outcome o = RetrievalEval.Outcome.of(new int[] {0, 0, 1, 3});          // RR 1, 1, 0.5, 0.25
        int[] domains = {0, 0, 0, 1};
        assertEquals((1 + 1 + 0.5 + 0.25) / 4, o.scores(Bootstrap.defaults()).get("mrr").value(), 1e-12);
        assertEquals((2.5 / 3 + 0.25) / 2, o.balancedScores(Bootstrap.defaults(), domains).get("mrr").value(), 1e-12);
        assertEquals((2 / 3.0 + 0) / 2, o.balancedScores(Bootstrap.defaults(), domains).get("recall@1").value(), 1e-12);
    }

    @Test void aCollapsedModelRanksEveryRightPassageLast() {
        float[][] same = {{0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}, {0.5f, 0.5f}};
        assertArrayEquals(new int[] {3, 3, 3, 3}, RetrievalEval.ranks(same, same));
        float[][] zero = new float[4][2];
        assertArrayEquals(new int[] {3, 3, 3, 3}, RetrievalEval.ranks(zero, zero));
    }

    @Test void pairsGiveSpearmanOfCosines() {
        double[] cos = {0.9, 0.1, 0.5, 0.7};
        double[] gold = {5, 0, 2, 4.5};
        Score s = new PairEval.Outcome(cos, gold).spearman(Bootstrap.defaults());
        assertEquals("spearman", s.metric());
        assertEquals(1.0, s.value(), 1e-12);
        assertEquals(4, s.n());
        assertEquals(1.0, Similarity.cosine(new float[] {1, 2}, new float[] {2, 4}), 1e-7);
        assertEquals(0.0, Similarity.cosine(new float[] {1, 0}, new float[] {0, 0}));
    }

    @Test void mismatchedInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> RetrievalEval.ranks(new float[3][3], new float[2][3]));
        assertThrows(IllegalArgumentException.class, () -> new PairEval.Outcome(new double[2], new double[3]));
    }
}
