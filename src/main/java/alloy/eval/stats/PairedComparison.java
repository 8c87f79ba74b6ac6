package alloy.eval.stats;

import java.util.Locale;

/**
 * Candidate B against candidate A on the same items: the difference of the metric (B - A) with its paired
 * bootstrap interval and two-sided p-value, and the exact sign test over the items where they differ. Higher
 * is taken as better; negate the per-item values of a lower-is-better metric before comparing.
 *
 * <p>A comparison of whole-set statistics (Spearman) has no per-item wins: {@code wins}, {@code losses} and
 * {@code ties} are 0 and {@code signTestP} is NaN, and the verdict leaves the sign test out.
 *
 * @param meanDiff   B - A (the mean per-item difference, or the difference of the statistics)
 * @param lower      lower bound of the bootstrap interval of the difference
 * @param upper      upper bound
 * @param bootstrapP two-sided paired bootstrap p-value for "no difference"
 * @param wins       items where B scored higher
 * @param losses     items where A scored higher
 * @param ties       items where they scored the same (dropped by the sign test)
 * @param signTestP  exact two-sided sign test p-value, NaN when not applicable
 */
public record PairedComparison(String metric, double meanDiff, double lower, double upper, double bootstrapP,
                               int wins, int losses, int ties, double signTestP) {

    /** The level {@link #significant()} and {@link #verdict()} use. */
    public static final double DEFAULT_ALPHA = 0.05;

    public PairedComparison {
        if (metric == null || metric.isBlank()) throw new IllegalArgumentException("a comparison needs a metric name");
        if (lower > upper) throw new IllegalArgumentException(metric + ": difference interval [" + lower + ", " + upper + "] is reversed");
        if (!(bootstrapP >= 0 && bootstrapP <= 1)) throw new IllegalArgumentException(metric + ": bootstrap p-value " + bootstrapP + " outside [0, 1]");
        if (wins < 0 || losses < 0 || ties < 0) {
            throw new IllegalArgumentException(metric + ": negative item counts " + wins + "/" + losses + "/" + ties);
        }
        if (signTestP < 0 || signTestP > 1) throw new IllegalArgumentException(metric + ": sign-test p-value " + signTestP + " outside [0, 1]");
    }

    /** Whether the sign test applies (per-item values were compared). */
    public boolean hasSignTest() { return !Double.isNaN(signTestP); }

    /**
     * Real at level {@code alpha} by the paired bootstrap, the test that uses the size of the differences;
     * the sign test only counts them and is reported beside it as a check on a few large items driving a
     * mean.
     */
    public boolean significant(double alpha) {
        if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        return bootstrapP < alpha;
    }

    public boolean significant() { return significant(DEFAULT_ALPHA); }

    /** {@link #verdict(String, String)} with the candidates called A and B. */
    public String verdict() { return verdict("A", "B"); }

    /**
     * One line, e.g. {@code acc: B better than A by +0.060 [0.020, 0.100], p=0.004 (paired bootstrap), sign test
     * 9-2 p=0.065: real}.
     */
    public String verdict(String nameA, String nameB) {
        // a difference that prints as 0.000 is reported as equal, never as "worse by -0.000"
        boolean equal = Math.abs(meanDiff) < 0.0005;
        String who = equal ? nameB + " same as " + nameA
                : meanDiff > 0 ? nameB + " better than " + nameA
                : nameB + " worse than " + nameA;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: %s by %+.3f [%.3f, %.3f], %s (paired bootstrap)",
                metric, who, equal ? 0.0 : meanDiff, lower, upper, p(bootstrapP)));
        if (hasSignTest()) sb.append(String.format(Locale.ROOT, ", sign test %d-%d %s", wins, losses, p(signTestP)));
        sb.append(significant() ? ": real" : ": within noise");
        // the paired bootstrap decides (it weighs the size of the differences); say so when the sign test, which only counts them, disagrees
        if (hasSignTest() && (signTestP < DEFAULT_ALPHA) != significant()) sb.append(" (bootstrap decides; the sign test disagrees)");
        return sb.toString();
    }

    private static String p(double p) {
        return p < 0.001 ? "p<0.001" : String.format(Locale.ROOT, "p=%.3f", p);
    }

    @Override public String toString() { return verdict(); }
}
