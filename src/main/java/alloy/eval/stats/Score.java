package alloy.eval.stats;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * A metric on one proxy split with its confidence interval (95% unless the {@link Bootstrap} said otherwise),
 * and the per-item values it came from, kept so that two candidates scored on the same items can be
 * compared item by item ({@link PairedTest}).
 *
 * <p>{@code items} holds one value per item when the metric is their mean (recall@1, accuracy, exact
 * match). It is empty when the metric is a statistic over the whole set that no per-item mean reproduces
 * (Spearman over pairs, corpus perplexity): comparing two such scores needs the statistic itself, through
 * {@link PairedTest#compare(String, int, Bootstrap.Statistic, Bootstrap.Statistic, Bootstrap)}.
 *
 * <p>An undefined statistic (Spearman of constant scores) or an interval no resample could estimate is NaN;
 * the order {@code lower <= value <= upper} is checked only among the values that are numbers.
 */
public record Score(String metric, double value, double lower, double upper, int n, double[] items) {

    public Score {
        Objects.requireNonNull(metric, "metric");
        if (metric.isBlank()) throw new IllegalArgumentException("a score needs a metric name");
        if (n <= 0) throw new IllegalArgumentException(metric + ": a score needs at least one item, got n=" + n);
        Objects.requireNonNull(items, metric + ": items (use an empty array for a whole-set statistic)");
        if (items.length != 0 && items.length != n) {
            throw new IllegalArgumentException(metric + ": " + items.length + " per-item values for n=" + n + " items");
        }
        if (lower > upper) throw new IllegalArgumentException(metric + ": interval [" + lower + ", " + upper + "] is reversed");
        if (value < lower || value > upper) {
            throw new IllegalArgumentException(metric + ": value " + value + " outside its interval [" + lower + ", " + upper + "]");
        }
        items = items.clone();
    }

    /** A score without per-item values (a whole-set statistic). */
    public Score(String metric, double value, double lower, double upper, int n) {
        this(metric, value, lower, upper, n, new double[0]);
    }

    @Override public double[] items() { return items.clone(); }

    /** True when {@link #items} holds one value per item and {@link #value} is their mean. */
    public boolean hasItems() { return items.length == n; }

    public double halfWidth() { return (upper - lower) / 2; }

    /** The interval contains {@code x} (false when the interval is unknown). */
    public boolean contains(double x) { return lower <= x && x <= upper; }

    @Override public boolean equals(Object o) {
        return o instanceof Score s && metric.equals(s.metric) && n == s.n
                && Double.compare(value, s.value) == 0 && Double.compare(lower, s.lower) == 0
                && Double.compare(upper, s.upper) == 0 && Arrays.equals(items, s.items);
    }

    @Override public int hashCode() {
        return Objects.hash(metric, value, lower, upper, n) * 31 + Arrays.hashCode(items);
    }

    /** {@code recall@1 0.780 [0.700, 0.860] (n=50)}. */
    @Override public String toString() {
        return String.format(Locale.ROOT, "%s %.3f [%.3f, %.3f] (n=%d)", metric, value, lower, upper, n);
    }
}
