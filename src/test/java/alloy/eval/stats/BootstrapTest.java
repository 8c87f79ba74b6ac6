package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BootstrapTest {

    private static double[] coinFlips(Random r, int n, double p) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble() < p ? 1 : 0;
        return v;
    }

    @Test
    void intervalContainsTheMeanAndHasTheBinomialWidth() {
        double[] items = coinFlips(new Random(3), 50, 0.7);
        Score s = Bootstrap.defaults().mean("acc", items);
        assertEquals(Metrics.mean(items), s.value(), 0);
        assertTrue(s.lower() < s.value() && s.value() < s.upper(), s.toString());
        assertEquals(50, s.n());
        assertArrayEquals(items, s.items());
        // The binomial standard error at p = 0.7, n = 50 is √(0.21 / 50) = 0.065: a 95% interval spans about 0.254.
        assertEquals(0.254, s.upper() - s.lower(), 0.05, s.toString());
    }

    @Test
    void intervalNarrowsWithMoreItems() {
        Random r = new Random(5);
        Score small = Bootstrap.defaults().mean("acc", coinFlips(r, 50, 0.7));
        Score big = Bootstrap.defaults().mean("acc", coinFlips(r, 800, 0.7));
        // 16 times the items, a quarter of the width; allow for the sampling noise of both.
        double ratio = (big.upper() - big.lower()) / (small.upper() - small.lower());
        assertTrue(ratio > 0.15 && ratio < 0.4, "width ratio " + ratio);
    }

    @Test
    void sameSeedSameIntervalOtherSeedOtherInterval() {
        double[] items = new double[40];
        Random r = new Random(9);
        for (int i = 0; i < items.length; i++) items[i] = r.nextDouble();
        Score one = Bootstrap.seeded(1).mean("x", items);
        assertEquals(one, Bootstrap.seeded(1).mean("x", items));
        Score other = Bootstrap.seeded(2).mean("x", items);
        assertEquals(one.value(), other.value(), 0);
        assertTrue(one.lower() != other.lower() || one.upper() != other.upper(), one + " vs " + other);
        assertNotEquals(Bootstrap.seeded(1).mean("x", items), new Bootstrap(500, 1).mean("x", items), "resamples matter too");
    }

    @Test
    void constantItemsHaveADegenerateInterval() {
        Score s = Bootstrap.defaults().mean("em", new double[] {1, 1, 1, 1});
        assertEquals(1, s.lower(), 0);
        assertEquals(1, s.upper(), 0);
    }

    @Test
    void lowerConfidenceGivesANarrowerInterval() {
        double[] items = coinFlips(new Random(4), 100, 0.5);
        Score wide = new Bootstrap(2000, 7, 0.95).mean("acc", items), narrow = new Bootstrap(2000, 7, 0.80).mean("acc", items);
        assertTrue(narrow.upper() - narrow.lower() < wide.upper() - wide.lower());
        assertTrue(narrow.lower() >= wide.lower() && narrow.upper() <= wide.upper());
    }

    @Test
    void statisticOverPairsIsResampledNotAveraged() {
        double[] gold = new double[30], pred = new double[30];
        Random r = new Random(8);
        for (int i = 0; i < 30; i++) {
            gold[i] = i / 6.0;
            pred[i] = gold[i] + r.nextGaussian();
        }
        Score s = Bootstrap.defaults().statistic("spearman", 30, Metrics.spearmanOf(pred, gold));
        assertEquals(Metrics.spearman(pred, gold), s.value(), 0);
        assertTrue(s.lower() <= s.value() && s.value() <= s.upper() && s.upper() <= 1, s.toString());
        assertTrue(s.lower() > 0, "a clearly positive correlation: " + s);
        assertFalse(s.hasItems());
        // A perfect ordering stays perfect under every resample that is not constant.
        Score perfect = Bootstrap.defaults().statistic("spearman", 30, Metrics.spearmanOf(gold, gold));
        assertEquals(1, perfect.lower(), 1e-12);
        assertEquals(1, perfect.upper(), 1e-12);
    }

    @Test
    void everyResampleUndefinedGivesAnUnknownInterval() {
        Score s = Bootstrap.defaults().statistic("spearman", 5, Metrics.spearmanOf(new double[] {1, 1, 1, 1, 1}, new double[] {1, 2, 3, 4, 5}));
        assertTrue(Double.isNaN(s.value()) && Double.isNaN(s.lower()) && Double.isNaN(s.upper()));
    }

    @Test
    void percentileIsLinearBetweenOrderStatistics() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertEquals(2, Bootstrap.quantile(sorted, 0.25), 0);
        assertEquals(4.6, Bootstrap.quantile(sorted, 0.9), 1e-12);
        assertEquals(1, Bootstrap.quantile(sorted, 0), 0);
        assertEquals(5, Bootstrap.quantile(sorted, 1), 0);
        assertEquals(2000, Bootstrap.defaults().distribution(10, s -> s[0]).length);
    }

    @Test
    void refusesBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new Bootstrap(10, 1));
        assertThrows(IllegalArgumentException.class, () -> new Bootstrap(2000, 1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.defaults().mean("acc", new double[0]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bootstrap.defaults().mean("acc", new double[] {1, Double.NaN}));
        assertTrue(e.getMessage().contains("acc") && e.getMessage().contains("item 1"), e.getMessage());
    }
}
