package alloy.eval.stats;

import java.math.BigInteger;

/**
 * Paired comparison of two candidates scored on the same items. Pairing matters: the items of a proxy set
 * differ in difficulty far more than two merges of the same models differ from each other, so comparing two
 * independent intervals would call most real gains noise. Both candidates are resampled with the same item
 * indices, and the test is on the per-item differences.
 */
public final class PairedTest {

    private PairedTest() {}

    /**
     * Paired bootstrap of the mean difference B - A and the exact sign test.
     *
     * <p>The bootstrap p-value inverts the percentile interval: twice the smaller share of resampled mean
     * differences on either side of 0, so that p < alpha exactly when the (1 - alpha) interval excludes 0.
     * Shares are counted as (k + 1) / (R + 1): with R resamples a difference is never shown to be more
     * certain than R can tell, and p is never 0.
     *
     * @throws IllegalArgumentException when the arrays differ in length (naming both lengths), are empty
     *                                  or hold NaN
     */
    public static PairedComparison compare(String metric, double[] a, double[] b, Bootstrap boot) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(metric + ": paired comparison needs the same items, but A has "
                    + a.length + " per-item values and B has " + b.length);
        }
        if (a.length == 0) {
            // What Score.items() holds for a whole-set statistic: there is nothing per item to pair.
            throw new IllegalArgumentException(metric + ": no per-item values to pair (a whole-set statistic such as Spearman keeps "
                    + "none); compare it with PairedTest.compare(metric, n, statisticA, statisticB, bootstrap)");
        }
        Bootstrap.checkItems(metric + " (A)", a);
        Bootstrap.checkItems(metric + " (B)", b);
        int n = a.length;
        double[] d = new double[n];
        int wins = 0, losses = 0, ties = 0;
        for (int i = 0; i < n; i++) {
            d[i] = b[i] - a[i];
            if (b[i] > a[i]) wins++;
            else if (b[i] < a[i]) losses++;
            else ties++;
        }
        Bootstrap.Statistic mean = Bootstrap.meanOf(d);
        double diff = Metrics.mean(d);
        double[] dist = boot.distribution(n, mean);
        return result(metric, diff, dist, boot, wins, losses, ties, signTest(wins, losses));
    }

    /**
     * Paired bootstrap of the difference of a whole-set statistic (Spearman over pairs): each resample of
     * item indices is given to both statistics. There is no sign test, since no item has a score of its own.
     */
    public static PairedComparison compare(String metric, int n, Bootstrap.Statistic a, Bootstrap.Statistic b, Bootstrap boot) {
        if (n <= 0) throw new IllegalArgumentException(metric + ": no items to compare");
        int[] all = Bootstrap.identity(n);
        double diff = b.of(all) - a.of(all);
        double[] dist = boot.distribution(n, s -> b.of(s) - a.of(s));
        return result(metric, diff, dist, boot, 0, 0, 0, Double.NaN);
    }

    private static PairedComparison result(String metric, double diff, double[] dist, Bootstrap boot,
                                           int wins, int losses, int ties, double signP) {
        if (dist.length == 0) {
            return new PairedComparison(metric, diff, Double.NaN, Double.NaN, 1, wins, losses, ties, signP);
        }
        int below = 0, above = 0;
        for (double x : dist) {
            if (x <= 0) below++;
            if (x >= 0) above++;
        }
        double p = Math.min(1, 2.0 * (Math.min(below, above) + 1) / (dist.length + 1));
        double tail = (1 - boot.confidence()) / 2;
        return new PairedComparison(metric, diff, Bootstrap.quantile(dist, tail), Bootstrap.quantile(dist, 1 - tail), p,
                wins, losses, ties, signP);
    }

    /**
     * Exact two-sided sign test: the probability, under Binomial(wins + losses, 1/2), of a split at least as
     * uneven as the one observed, both tails (ties are dropped before calling). 1 when nothing differs.
     * The binomial coefficients are summed as integers, so the only rounding is the final division.
     */
    public static double signTest(int wins, int losses) {
        if (wins < 0 || losses < 0) throw new IllegalArgumentException("negative counts " + wins + "-" + losses);
        int n = wins + losses;
        if (n == 0) return 1;
        int k = Math.min(wins, losses);
        BigInteger term = BigInteger.ONE, tail = BigInteger.ONE;   // C(n, 0)
        for (int i = 0; i < k; i++) {
            term = term.multiply(BigInteger.valueOf(n - i)).divide(BigInteger.valueOf(i + 1));   // C(n, i + 1), exact
            tail = tail.add(term);
        }
        // 2 * tail / 2^n = tail / 2^(n - 1); divide in floating point from the leading 62 bits of tail.
        int shift = Math.max(0, tail.bitLength() - 62);
        double p = Math.scalb((double) tail.shiftRight(shift).longValue(), shift - (n - 1));
        return Math.min(1, p);
    }
}
