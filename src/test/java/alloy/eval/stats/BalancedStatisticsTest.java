package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Domain-balanced means and correlations, checked by hand. */
class BalancedStatisticsTest {

    @Test
    void groupIndicesInOrderOfFirstAppearance() {
        assertArrayEquals(new int[] {0, 1, 0, 2}, Metrics.groupIndices(List.of("b", "a", "b", "c")));
    }

    @Test
    void weightsTurnAPlainMeanIntoAMeanOfGroupMeans() {
        int[] groups = {0, 0, 0, 1};
        double[] w = Metrics.balanceWeights(groups);
        // n = 4 items, 2 groups: 4 / (2 · 3) for the three in group 0, 4 / (2 · 1) for the one in group 1.
        assertArrayEquals(new double[] {2 / 3.0, 2 / 3.0, 2 / 3.0, 2}, w, 1e-12);
        double[] v = {1, 1, 1, 0};
        // Plain mean 0.75; group means 1 and 0, balanced 0.5.
        assertEquals(0.5, Metrics.balancedMeanOf(v, groups).of(new int[] {0, 1, 2, 3}), 1e-12);
        Score s = Bootstrap.defaults().balancedMean("mrr", v, groups);
        assertEquals(0.5, s.value(), 1e-12);
        assertEquals(0.5, Metrics.mean(s.items()), 1e-12, "kept items average to the balanced score");
        assertTrue(s.lower() <= 0.5 && 0.5 <= s.upper());
        assertArrayEquals(new double[] {1, 1, 1, 1}, Metrics.balanceWeights(new int[] {0, 1, 0, 1}), 1e-12, "balanced groups weigh 1");
    }

    @Test
    void aResampleThatMissesAGroupAveragesTheGroupsItDrew() {
        double[] v = {1, 0.5, 0};
        int[] groups = {0, 0, 1};
        assertEquals((1 + 0.5 + 0.5) / 3, Metrics.balancedMeanOf(v, groups).of(new int[] {0, 1, 1}), 1e-12, "group 1 not drawn");
        assertEquals((1 + 0) / 2.0, Metrics.balancedMeanOf(v, groups).of(new int[] {0, 2, 0}), 1e-12);
    }

    @Test
    void balancedSpearmanAveragesWithinGroupCorrelations() {
        // Each domain orders its pairs perfectly, but domain 1's cosines are all higher while its judgements are lower:
        // pooled, the order is reversed between domains; balanced, each domain counts its own rho of 1.
        double[] cos = {1, 2, 3, 10, 11, 12};
        double[] gold = {3, 4, 5, 0, 1, 2};
        int[] groups = {0, 0, 0, 1, 1, 1};
        int[] all = {0, 1, 2, 3, 4, 5};
        assertEquals(1, Metrics.balancedSpearmanOf(cos, gold, groups).of(all), 1e-12);
        assertTrue(Metrics.spearmanOf(cos, gold).of(all) < 0);
        // A resample with a single pair of domain 1 leaves that domain out.
        assertEquals(1, Metrics.balancedSpearmanOf(cos, gold, groups).of(new int[] {0, 1, 2, 3}), 1e-12);
        assertTrue(Double.isNaN(Metrics.balancedSpearmanOf(cos, gold, groups).of(new int[] {0, 0, 3, 3})));
    }
}
