package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsTest {

    @Test
    void spearmanOfTheScipyDocumentedExample() {
        // x ranks 1..5; y = (5,6,7,8,7) ranks (1,2,3.5,5,3.5). Deviations from the mean rank 3:
        // dx = (-2,-1,0,1,2), dy = (-2,-1,0.5,2,0.5); Σdxdy = 8, Σdx² = 10, Σdy² = 9.5, rho = 8 / √95.
        double rho = Metrics.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {5, 6, 7, 8, 7});
        assertEquals(8 / Math.sqrt(95), rho, 1e-15);
        assertEquals(0.8207826816681233, rho, 1e-12);
    }

    @Test
    void spearmanWithoutTiesMatchesTheTextbookFormula() {
        // Ranks b = (2,1,4,3,5): Σd² = 4, rho = 1 - 6·4 / (5·24) = 0.8.
        assertEquals(0.8, Metrics.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {5, 4, 9, 8, 10}), 1e-12);
        assertEquals(-1.0, Metrics.spearman(new double[] {1, 2, 3}, new double[] {30, 20, 10}), 0);
        assertEquals(1.0, Metrics.spearman(new double[] {1, 2, 3, 4}, new double[] {1, 4, 9, 16}), 0, "monotone, not linear");
    }

    @Test
    void averageRanksForTies() {
        assertArrayEquals(new double[] {1.5, 1.5, 3, 4}, Metrics.ranks(new double[] {7, 7, 8, 9}));
        assertArrayEquals(new double[] {3, 1, 3, 3, 5}, Metrics.ranks(new double[] {2, 0, 2, 2, 9}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.ranks(new double[] {1, Double.NaN}));
    }

    @Test
    void correlationOfConstantInputIsUndefined() {
        assertTrue(Double.isNaN(Metrics.spearman(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
        assertTrue(Double.isNaN(Metrics.pearson(new double[] {}, new double[] {})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Metrics.spearman(new double[] {1, 2}, new double[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("2") && e.getMessage().contains("3"), e.getMessage());
    }

    @Test
    void rankCountsTiesAgainstTheRelevantItem() {
        float[] scores = {0.1f, 0.9f, 0.5f, 0.7f};
        assertEquals(2, Metrics.rankOf(scores, 2));
        assertEquals(0, Metrics.rankOf(scores, 1));
        assertEquals(3, Metrics.rankOf(scores, 0));
        assertEquals(3, Metrics.rankOf(new double[] {0.5, 0.5, 0.5, 0.5}, 0), "a collapsed model ranks last, not first");
        assertArrayEquals(new int[] {0, 1}, Metrics.relevantRanks(new double[][] {{3, 1}, {3, 1}}, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> Metrics.rankOf(new double[] {1, 2}, 2));
        assertThrows(IllegalArgumentException.class, () -> Metrics.rankOf(new double[] {1, Double.NaN}, 0));
    }

    @Test
    void retrievalMetricsFromRanks() {
        int[] ranks = {0, 1, 2, 9, 10};
        assertArrayEquals(new double[] {1, 0, 0, 0, 0}, Metrics.recallAt(ranks, 1));
        assertArrayEquals(new double[] {1, 1, 1, 0, 0}, Metrics.recallAt(ranks, 5));
        assertArrayEquals(new double[] {1, 0.5, 1 / 3.0, 0.1, 1 / 11.0}, Metrics.reciprocalRanks(ranks), 1e-15);
        double[] ndcg = Metrics.ndcgAt(ranks, 10);
        assertEquals(1.0, ndcg[0], 0);
        assertEquals(1 / (Math.log(3) / Math.log(2)), ndcg[1], 1e-15);   // 0.6309...
        assertEquals(0.5, ndcg[2], 1e-15);                               // 1 / log2(4)
        assertEquals(1 / (Math.log(11) / Math.log(2)), ndcg[3], 1e-15);  // last place inside the cut-off
        assertEquals(0.0, ndcg[4], 0);                                   // beyond it
        assertThrows(IllegalArgumentException.class, () -> Metrics.recallAt(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> Metrics.ndcgAt(0, 0));
    }

    @Test
    void accuracyHelpers() {
        assertEquals(1, Metrics.argmax(new double[] {0.2, 0.7, 0.7, 0.1}), "first of equals");
        assertArrayEquals(new double[] {1, 0, 1}, Metrics.accuracy(new int[] {2, 0, 1}, new int[] {2, 1, 1}));
        assertArrayEquals(new double[] {1, 0, 1},
                Metrics.exactMatch(List.of("168 ", "abc", "x"), List.of("168", "abd", " x")));
        assertEquals(2.0, Metrics.mean(new double[] {1, 2, 3}), 0);
        assertThrows(IllegalArgumentException.class, () -> Metrics.accuracy(new int[] {1}, new int[] {1, 2}));
    }

    @Test
    void statisticsOverItemIndices() {
        double[] pred = {0.1, 0.4, 0.35, 0.8}, gold = {0, 1, 2, 3};
        assertEquals(Metrics.spearman(pred, gold), Metrics.spearmanOf(pred, gold).of(new int[] {0, 1, 2, 3}), 0);
        // Resample (0, 0, 3, 3): ranks (1.5, 1.5, 3.5, 3.5) on both sides, rho = 1.
        assertEquals(1.0, Metrics.spearmanOf(pred, gold).of(new int[] {0, 0, 3, 3}), 1e-15);
        // Corpus perplexity weighs texts by tokens: exp((2 + 6) / (1 + 3)) = e², not the mean of e² and e².
        Bootstrap.Statistic ppl = Metrics.perplexityOf(new double[] {2, 6, 0.5}, new int[] {1, 3, 1});
        assertEquals(Math.exp(2), ppl.of(new int[] {0, 1}), 1e-12);
        assertEquals(Math.exp(8.5 / 5), ppl.of(new int[] {0, 1, 2}), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Metrics.perplexityOf(new double[] {1}, new int[] {0}));
    }
}
