package alloy.eval.stats;

import java.util.Objects;

/**
 * A statistic of a split's items that can be recomputed on any resample of them: the mean of per-item values,
 * Spearman over resampled pairs, a domain-balanced mean. {@link RankAgreement} resamples many candidates'
 * statistics with the same item indices.
 *
 * @param n         items in the split
 * @param statistic the statistic of the items whose indices it is given; the identity sample gives the score
 */
public record ItemStatistic(int n, Bootstrap.Statistic statistic) {

    public ItemStatistic {
        if (n <= 0) throw new IllegalArgumentException("a statistic over " + n + " items");
        Objects.requireNonNull(statistic, "statistic");
    }

    /** The mean of per-item values. */
    public static ItemStatistic mean(double[] items) {
        Bootstrap.checkItems("mean", items);
        return new ItemStatistic(items.length, Bootstrap.meanOf(items));
    }

    /** The statistic on all items: the score itself. */
    public double value() { return statistic.of(Bootstrap.identity(n)); }

    public double of(int[] sample) { return statistic.of(sample); }
}
