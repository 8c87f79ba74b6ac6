package alloy.eval.stats;

import java.util.Arrays;

/**
 * Percentile bootstrap over items, seeded: the same items, seed and number of resamples give the same
 * interval on every machine. Items (queries, pairs, prompts) are resampled with replacement because an item
 * is the unit a proxy set draws from the population it stands for; a statistic over items (Spearman over
 * pairs) is recomputed on each resample rather than averaged, through {@link Statistic}.
 *
 * @param resamples  bootstrap replicates; at least 100, so that each 2.5% tail rests on a few of them
 * @param seed       seeds the index stream; another seed gives another (equally valid) interval
 * @param confidence coverage of the interval, in (0, 1)
 */
public record Bootstrap(int resamples, long seed, double confidence) {

    public static final int DEFAULT_RESAMPLES = 2000;
    public static final long DEFAULT_SEED = 20260101L;
    public static final double DEFAULT_CONFIDENCE = 0.95;

    /**
     * A statistic of one resample, given the indices of the chosen items (with repeats, in draw order).
     * The identity sample {@code 0..n-1} gives the point estimate. NaN marks a degenerate resample (a
     * Spearman over pairs whose ranks came out constant); such resamples are left out of the interval.
     */
    @FunctionalInterface
    public interface Statistic {
        double of(int[] sample);
    }

    public Bootstrap {
        if (resamples < 100) throw new IllegalArgumentException("at least 100 bootstrap resamples, got " + resamples);
        if (!(confidence > 0 && confidence < 1)) throw new IllegalArgumentException("confidence must be in (0, 1), got " + confidence);
    }

    public Bootstrap(int resamples, long seed) { this(resamples, seed, DEFAULT_CONFIDENCE); }

    /** 2000 resamples, a fixed seed, 95%. */
    public static Bootstrap defaults() { return new Bootstrap(DEFAULT_RESAMPLES, DEFAULT_SEED); }

    public static Bootstrap seeded(long seed) { return new Bootstrap(DEFAULT_RESAMPLES, seed); }

    /** The mean of per-item values with its interval; the values are kept in the score. */
    public Score mean(String metric, double[] items) {
        checkItems(metric, items);
        double value = Metrics.mean(items);
        Interval ci = interval(items.length, meanOf(items));
        return new Score(metric, value, widen(ci.lower, value, true), widen(ci.upper, value, false), items.length, items);
    }

    /**
     * The mean of group means (every domain weighs the same, however many items it has) with its interval.
     * Each resample draws items from the whole split and averages the group means of what it drew. The kept
     * per-item values are the items scaled by {@link Metrics#balanceWeights}, so that their plain mean is the
     * score and {@link PairedTest} compares two candidates on the balanced mean.
     */
    public Score balancedMean(String metric, double[] items, int[] groups) {
        checkItems(metric, items);
        if (groups.length != items.length) throw new IllegalArgumentException(metric + ": " + items.length + " items but " + groups.length + " group labels");
        double[] w = Metrics.balanceWeights(groups);
        double[] weighted = new double[items.length];
        for (int i = 0; i < items.length; i++) weighted[i] = w[i] * items[i];
        return statistic(metric, items.length, Metrics.balancedMeanOf(items, groups), weighted);
    }

    /** A whole-set statistic over {@code n} items (Spearman over pairs, corpus perplexity), without per-item values. */
    public Score statistic(String metric, int n, Statistic stat) {
        return statistic(metric, n, stat, new double[0]);
    }

    /**
     * A whole-set statistic with per-item values kept beside it; {@code items} must then have length
     * {@code n} (or be empty), and only a statistic that equals their mean should pass them, since
     * {@link PairedTest} compares the means of kept items.
     */
    public Score statistic(String metric, int n, Statistic stat, double[] items) {
        if (n <= 0) throw new IllegalArgumentException(metric + ": no items to bootstrap");
        double value = stat.of(identity(n));
        Interval ci = interval(n, stat);
        return new Score(metric, value, widen(ci.lower, value, true), widen(ci.upper, value, false), n, items);
    }

    /** Lower and upper percentile bounds of a statistic's bootstrap distribution (NaN when every resample was NaN). */
    public record Interval(double lower, double upper) {}

    /** The percentile interval of {@code stat} over resamples of {@code n} items. */
    public Interval interval(int n, Statistic stat) {
        double[] dist = distribution(n, stat);
        double tail = (1 - confidence) / 2;
        return new Interval(quantile(dist, tail), quantile(dist, 1 - tail));
    }

    /**
     * The sorted bootstrap distribution of {@code stat}, NaN resamples dropped. Two statistics given the same
     * {@code n} see the same resamples, which is what makes a paired comparison paired.
     */
    public double[] distribution(int n, Statistic stat) {
        if (n <= 0) throw new IllegalArgumentException("no items to resample");
        SplitMix r = new SplitMix(seed);
        double[] out = new double[resamples];
        int kept = 0;
        int[] sample = new int[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) sample[i] = r.nextIndex(n);
            double v = stat.of(sample);
            if (!Double.isNaN(v)) out[kept++] = v;
        }
        double[] d = Arrays.copyOf(out, kept);
        Arrays.sort(d);
        return d;
    }

    /** What one replicate of {@link #resample(int[], Replicate)} is given. */
    @FunctionalInterface
    public interface Replicate {
        /**
         * @param b       the replicate's number, 0 to resamples - 1
         * @param samples for each group, the indices drawn (with repeats, in draw order); reused between calls
         */
        void accept(int b, int[][] samples);
    }

    /**
     * Resamples several independent groups of items together (the splits of a set, the sets of an objective):
     * each replicate draws {@code sizes[g]} indices with replacement for every group g, groups in order, from
     * one stream for the seed. With one group the indices are exactly those {@link #distribution} draws, so a
     * statistic computed either way sees the same resamples.
     */
    public void resample(int[] sizes, Replicate replicate) {
        if (sizes.length == 0) throw new IllegalArgumentException("no groups to resample");
        for (int n : sizes) if (n <= 0) throw new IllegalArgumentException("a group of " + n + " items cannot be resampled");
        SplitMix r = new SplitMix(seed);
        int[][] samples = new int[sizes.length][];
        for (int g = 0; g < sizes.length; g++) samples[g] = new int[sizes[g]];
        for (int b = 0; b < resamples; b++) {
            for (int g = 0; g < sizes.length; g++) {
                int n = sizes[g];
                for (int i = 0; i < n; i++) samples[g][i] = r.nextIndex(n);
            }
            replicate.accept(b, samples);
        }
    }

    /** Linear interpolation between order statistics (type 7 of Hyndman and Fan, numpy's default). */
    public static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The mean of the resampled items. */
    public static Statistic meanOf(double[] items) {
        return sample -> {
            double s = 0;
            for (int i : sample) s += items[i];
            return s / sample.length;
        };
    }

    public static int[] identity(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        return all;
    }

    static void checkItems(String metric, double[] items) {
        if (items.length == 0) throw new IllegalArgumentException(metric + ": no items");
        for (int i = 0; i < items.length; i++) {
            if (Double.isNaN(items[i])) throw new IllegalArgumentException(metric + ": item " + i + " is NaN");
        }
    }

    /**
     * A percentile interval of a biased statistic (Spearman on resampled pairs, whose duplicates create ties)
     * can miss the point estimate, and a mean's can miss it by rounding; the reported interval is widened to
     * include the estimate rather than report a value outside its own interval.
     */
    private static double widen(double bound, double value, boolean lower) {
        if (Double.isNaN(bound) || Double.isNaN(value)) return bound;
        return lower ? Math.min(bound, value) : Math.max(bound, value);
    }

    /**
     * SplitMix64 (Steele, Lea and Flood), written out so that the index stream for a seed is fixed by this
     * file rather than by the JDK's choice of generator. An index is the top 32 bits scaled to the bound; the
     * bias of at most n / 2^32 is far below anything a bootstrap can see.
     */
    private static final class SplitMix {
        private long state;

        SplitMix(long seed) { state = seed; }

        long next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        int nextIndex(int bound) { return (int) (((next() >>> 32) * bound) >>> 32); }
    }
}
