package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RankAgreementTest {

    private static final Bootstrap BOOT = new Bootstrap(500, 7);

    @Test
    void kendallTauBByHand() {
        // 5 concordant pairs, 1 discordant (2 and 3 swapped), no ties: (5 - 1) / 6.
        assertEquals(4.0 / 6, RankAgreement.kendallTauB(new double[] {1, 2, 3, 4}, new double[] {1, 3, 2, 4}), 1e-12);
        // One pair tied in x, another tied in y, the other four concordant: 4 / sqrt((6 - 1)(6 - 1)).
        assertEquals(0.8, RankAgreement.kendallTauB(new double[] {1, 1, 2, 3}, new double[] {1, 2, 2, 3}), 1e-12);
        assertEquals(-1, RankAgreement.kendallTauB(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
        assertTrue(Double.isNaN(RankAgreement.kendallTauB(new double[] {1, 1, 1}, new double[] {1, 2, 3})));
        assertThrows(IllegalArgumentException.class, () -> RankAgreement.kendallTauB(new double[2], new double[3]));
    }

    /** Candidate k scores {@code values[k]} on every one of n items: every resample gives the same objective. */
    private static RankAgreement.SplitScores constant(String split, int n, double... values) {
        List<ItemStatistic> cands = new ArrayList<>();
        for (double v : values) {
            double[] items = new double[n];
            Arrays.fill(items, v);
            cands.add(ItemStatistic.mean(items));
        }
        return new RankAgreement.SplitScores(split, List.of(new RankAgreement.TaskScores("t", true, cands)));
    }

    @Test
    void identicalOrdersAgreeFullyAndReversedOnesOppose() {
        List<String> names = List.of("a", "b", "c", "d");
        var r = RankAgreement.of(names, List.of(constant("search", 10, 0.1, 0.2, 0.3, 0.4), constant("validation", 5, 0.5, 0.6, 0.7, 0.8),
                constant("heldout", 8, 0.9, 0.7, 0.5, 0.3)), BOOT);
        var sv = r.agreement("search", "validation");
        assertEquals(1, sv.spearman().value(), 1e-12);
        assertEquals(1, sv.spearman().lower(), 1e-12);
        assertEquals(1, sv.kendall().upper(), 1e-12);
        var sh = r.agreement("search", "heldout");
        assertEquals(-1, sh.spearman().value(), 1e-12);
        assertEquals(-1, sh.kendall().value(), 1e-12);
        assertSame(sh, r.agreement("heldout", "search"));
        // No item varies, so every paired interval is a point: the split resolves any difference, and all adjacent pairs are apart.
        var res = r.resolution("search");
        assertEquals(0, res.medianHalfWidth(), 1e-12);
        assertEquals(3, res.separatedAdjacent());
        assertEquals(10, res.items());
        assertTrue(res.separates(0.01));
        assertTrue(res.verdict(0.01, "mrr").startsWith("separates candidates 0.010 mrr apart"), res.verdict(0.01, "mrr"));
        assertArrayEquals(new int[] {3, 2, 1, 0}, r.ranking("search"));
        assertArrayEquals(new int[] {0, 1, 2}, r.top("heldout", 3));
        assertEquals(0.4, r.scores()[0][3], 1e-12);
    }

    @Test
    void lowerIsBetterTasksEnterNegated() {
        List<ItemStatistic> ppl = new ArrayList<>();
        for (double v : new double[] {3, 2, 1}) ppl.add(ItemStatistic.mean(new double[] {v, v}));
        var perplexity = new RankAgreement.SplitScores("heldout", List.of(new RankAgreement.TaskScores("ppl", false, ppl)));
        var r = RankAgreement.of(List.of("a", "b", "c"), List.of(constant("search", 4, 0.1, 0.2, 0.3), perplexity), BOOT);
        assertEquals(1, r.agreement("search", "heldout").spearman().value(), 1e-12);
        assertEquals(-2, r.scores()[1][1], 1e-12);
    }

    /** Candidate k's items: a shared difficulty per item plus noise, plus k times the step. */
    private static RankAgreement.SplitScores noisy(String split, int n, int candidates, double step, long seed) {
        java.util.Random random = new java.util.Random(seed);
        double[] difficulty = new double[n];
        for (int i = 0; i < n; i++) difficulty[i] = random.nextDouble();
        List<ItemStatistic> cands = new ArrayList<>();
        for (int k = 0; k < candidates; k++) {
            double[] items = new double[n];
            for (int i = 0; i < n; i++) items[i] = difficulty[i] + k * step + 0.2 * random.nextGaussian();
            cands.add(ItemStatistic.mean(items));
        }
        return new RankAgreement.SplitScores(split, List.of(new RankAgreement.TaskScores("t", true, cands)));
    }

    @Test
    void resolutionShrinksLikeOneOverRootN() {
        List<String> names = List.of("a", "b", "c", "d", "e");
        var small = RankAgreement.of(names, List.of(noisy("s", 100, 5, 0.05, 1), noisy("h", 100, 5, 0.05, 2)), BOOT);
        var large = RankAgreement.of(names, List.of(noisy("s", 400, 5, 0.05, 1), noisy("h", 400, 5, 0.05, 2)), BOOT);
        double ratio = small.resolution("s").medianHalfWidth() / large.resolution("s").medianHalfWidth();
        // The per-item differences have sd 0.2 * sqrt(2): the half-width is about 1.96 * 0.283 / sqrt(n).
        assertEquals(1.96 * 0.2 * Math.sqrt(2) / 10, small.resolution("s").medianHalfWidth(), 0.012);
        assertEquals(2, ratio, 0.4);
        assertTrue(large.agreement("s", "h").spearman().value() > 0.8);
        var sp = small.agreement("s", "h").spearman();
        assertTrue(sp.lower() <= sp.value() && sp.value() <= sp.upper(), sp.toString());
    }

    @Test
    void amongASubsetIsTheSameComputationOnFewerCandidates() {
        List<String> names = List.of("a", "b", "c", "d", "e");
        var all = RankAgreement.of(names, List.of(noisy("s", 60, 5, 0.05, 3), noisy("h", 60, 5, 0.05, 4)), BOOT);
        var again = all.among(new int[] {0, 1, 2, 3, 4});
        assertEquals(all.agreement("s", "h"), again.agreement("s", "h"));
        var top = all.among(all.top("s", 3));
        assertEquals(3, top.candidates().size());
        assertEquals(List.of(names.get(all.ranking("s")[0]), names.get(all.ranking("s")[1]), names.get(all.ranking("s")[2])), top.candidates());
        assertEquals(2, top.resolution("s").adjacentPairs());
        assertThrows(IllegalArgumentException.class, () -> all.among(new int[] {0, 1}));
    }

    @Test
    void wholeSetStatisticsMustComeAsStatistics() {
        Score spearman = new Score("spearman", 0.5, 0.4, 0.6, 10);
        assertThrows(IllegalArgumentException.class, () -> RankAgreement.TaskScores.ofMeans("sts", true, List.of(spearman)));
        Score mrr = Bootstrap.defaults().mean("mrr", new double[] {1, 0.5, 0});
        assertEquals(0.5, RankAgreement.TaskScores.ofMeans("r", true, List.of(mrr)).candidates().getFirst().value(), 1e-12);
    }

    @Test
    void refusesTooLittleToRank() {
        assertThrows(IllegalArgumentException.class, () -> RankAgreement.of(List.of("a", "b"), List.of(constant("s", 3, 1, 2), constant("h", 3, 1, 2)), BOOT));
        assertThrows(IllegalArgumentException.class, () -> RankAgreement.of(List.of("a", "b", "c"), List.of(constant("s", 3, 1, 2, 3)), BOOT));
        assertThrows(IllegalArgumentException.class, () -> RankAgreement.of(List.of("a", "b", "c"), List.of(constant("s", 3, 1, 2, 3), constant("h", 3, 1, 2)), BOOT));
    }

    @Test
    void oneGroupResamplesAsTheSingleSplitBootstrapDoes() {
        double[] items = {0.1, 0.9, 0.4, 0.7, 0.2, 0.3};
        double[] viaDistribution = BOOT.distribution(items.length, Bootstrap.meanOf(items));
        double[] viaResample = new double[BOOT.resamples()];
        BOOT.resample(new int[] {items.length}, (b, samples) -> viaResample[b] = Bootstrap.meanOf(items).of(samples[0]));
        Arrays.sort(viaResample);
        assertArrayEquals(viaDistribution, viaResample, 0);
    }

    @Test
    void candidatesIdenticalOnEveryItemAreLeftOutOfTheResolution() {
        double[] items = {1, 0.5, 0, 1, 0.25, 1};
        double[] other = {0.5, 0.5, 0, 1, 1, 0};
        var t = new RankAgreement.TaskScores("t", true, List.of(ItemStatistic.mean(items), ItemStatistic.mean(items.clone()), ItemStatistic.mean(other)));
        var r = RankAgreement.of(List.of("a", "b", "c"), List.of(new RankAgreement.SplitScores("s", List.of(t)), new RankAgreement.SplitScores("h", List.of(t))), BOOT);
        var res = r.resolution("s");
        assertEquals(1, res.identicalAdjacent());
        assertEquals(2, res.adjacentPairs());
        assertTrue(res.medianHalfWidth() > 0, "only the pair that differs counts: " + res);
        assertEquals(res.medianHalfWidth(), res.maxHalfWidth(), 0);

        var same = new RankAgreement.TaskScores("t", true, List.of(ItemStatistic.mean(items), ItemStatistic.mean(items), ItemStatistic.mean(items)));
        var all = RankAgreement.of(List.of("a", "b", "c"), List.of(new RankAgreement.SplitScores("s", List.of(same)), new RankAgreement.SplitScores("h", List.of(same))), BOOT);
        assertTrue(Double.isNaN(all.resolution("s").medianHalfWidth()));
        assertFalse(all.resolution("s").separates(0.01));
        assertTrue(all.resolution("s").verdict(0.01, "mrr").startsWith("cannot tell"));
        assertTrue(Double.isNaN(all.agreement("s", "h").spearman().value()), "constant scores have no ranking to agree on");
        assertTrue(RankAgreement.report(all, 0.01, "mrr").contains("2 identical on every item"));
    }
}
