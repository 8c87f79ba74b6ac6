package alloy.eval.stats;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Least-squares parabola y = a x² + b x + c through the points of a one-parameter sweep, and where to look
 * next. A concave fit that explains the scores well points at its vertex; anything else (a convex or flat
 * curve, or scores too noisy for the curve to mean much) falls back to the best point actually measured,
 * since extrapolating a poor fit proposes values nobody has evidence for.
 *
 * <p>The normal equations are solved in u = (x - centre) / scale, with the centre the mean of x and the scale
 * the largest distance from it, so u lies in [-1, 1]: in raw x, the columns x², x, 1 of a sweep over weights
 * near 1000 (or over 1e-3 densities) differ by many orders of magnitude and the 3 x 3 system loses most of its
 * digits.
 *
 * @param r2 coefficient of determination 1 - SSres / SStot; 1 for constant scores (the fit is then exact)
 * @param xs the swept values, in the order given
 * @param ys the score at each swept value
 */
public record QuadraticFit(double a, double b, double c, double r2, double[] xs, double[] ys) {

    /** Which rule chose a {@link Proposal}. */
    public enum Rule {
        /** The vertex of a concave, well-fitting parabola, inside the range. */
        VERTEX,
        /** The vertex fell outside the range and was moved to the nearer end. */
        CLAMPED_VERTEX,
        /** The fit is not concave or explains too little; the best measured point. */
        BEST_SAMPLE
    }

    /** Where to evaluate next, and why: {@code reason} is a sentence for logs and reports. */
    public record Proposal(double x, Rule rule, String reason) {
        public Proposal {
            Objects.requireNonNull(rule, "rule");
            Objects.requireNonNull(reason, "reason");
            if (!Double.isFinite(x)) throw new IllegalArgumentException("proposal x must be finite, got " + x + " (" + reason + ")");
        }

        @Override public String toString() { return String.format(Locale.ROOT, "%.4f (%s)", x, reason); }
    }

    public QuadraticFit {
        Objects.requireNonNull(xs, "xs");
        Objects.requireNonNull(ys, "ys");
        if (xs.length != ys.length) throw new IllegalArgumentException("fit has " + xs.length + " x values but " + ys.length + " y values");
        xs = xs.clone();
        ys = ys.clone();
    }

    /**
     * Fits the points (xs[i], ys[i]).
     *
     * @throws IllegalArgumentException when the lengths differ, a value is not finite, or fewer than 3
     *                                  distinct x values are given (a parabola is then not determined)
     */
    public static QuadraticFit fit(double[] xs, double[] ys) {
        if (xs.length != ys.length) throw new IllegalArgumentException("sweep has " + xs.length + " x values but " + ys.length + " scores");
        for (int i = 0; i < xs.length; i++) {
            if (!Double.isFinite(xs[i]) || !Double.isFinite(ys[i])) {
                throw new IllegalArgumentException("sweep point " + i + " is not finite: (" + xs[i] + ", " + ys[i] + ")");
            }
        }
        double[] distinct = Arrays.stream(xs).distinct().sorted().toArray();
        if (distinct.length < 3) {
            throw new IllegalArgumentException("a quadratic fit needs at least 3 distinct x values, got " + distinct.length
                    + " " + Arrays.toString(distinct) + " over " + xs.length + " points");
        }
        int n = xs.length;
        double centre = Metrics.mean(xs);
        double scale = 0;
        for (double x : xs) scale = Math.max(scale, Math.abs(x - centre));
        // Normal equations M p = v for y ≈ p0 u² + p1 u + p2, accumulated as sums of powers of u.
        double[][] m = new double[3][4];
        for (int i = 0; i < n; i++) {
            double u = (xs[i] - centre) / scale;
            double[] row = {u * u, u, 1};
            for (int r = 0; r < 3; r++) {
                for (int k = 0; k < 3; k++) m[r][k] += row[r] * row[k];
                m[r][3] += row[r] * ys[i];
            }
        }
        double[] p = solve3(m);
        // Back to x: u = (x - centre) / scale, so p0 u² + p1 u + p2 expands to a x² + b x + c.
        double s2 = scale * scale;
        double a = p[0] / s2;
        double b = p[1] / scale - 2 * p[0] * centre / s2;
        double c = p[0] * centre * centre / s2 - p[1] * centre / scale + p[2];
        double ybar = Metrics.mean(ys), ssTot = 0, ssRes = 0;
        for (int i = 0; i < n; i++) {
            double u = (xs[i] - centre) / scale;
            double f = (p[0] * u + p[1]) * u + p[2];
            ssRes += (ys[i] - f) * (ys[i] - f);
            ssTot += (ys[i] - ybar) * (ys[i] - ybar);
        }
        double r2 = ssTot == 0 ? 1 : Math.max(0, 1 - ssRes / ssTot);
        return new QuadraticFit(a, b, c, r2, xs, ys);
    }

    /** Gaussian elimination with partial pivoting on an augmented 3 x 4 system (which it overwrites). */
    private static double[] solve3(double[][] m) {
        for (int col = 0; col < 3; col++) {
            int piv = col;
            for (int r = col + 1; r < 3; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
            double[] t = m[col];
            m[col] = m[piv];
            m[piv] = t;
            // With u in [-1, 1] and 3 distinct points the pivots are of order 1; a tiny one means rounding ate the system.
            if (Math.abs(m[col][col]) < 1e-12) throw new IllegalArgumentException("sweep points do not determine a quadratic (singular normal equations)");
            for (int r = 0; r < 3; r++) {
                if (r == col) continue;
                double f = m[r][col] / m[col][col];
                for (int k = col; k < 4; k++) m[r][k] -= f * m[col][k];
            }
        }
        return new double[] {m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]};
    }

    @Override public double[] xs() { return xs.clone(); }

    @Override public double[] ys() { return ys.clone(); }

    /** The fitted value at {@code x}. */
    public double at(double x) { return (a * x + b) * x + c; }

    /** Opens downward, so it has a maximum. */
    public boolean isConcave() { return a < 0; }

    /** The x of the extremum, -b / 2a. */
    public double vertex() {
        if (a == 0) throw new IllegalStateException("the fit is a straight line (a = 0) and has no vertex: " + this);
        return -b / (2 * a);
    }

    /**
     * The vertex clamped to [lo, hi] when the fit is concave and {@code r2 >= minR2}; otherwise the measured
     * point with the highest score among those in [lo, hi] (the first of equals).
     *
     * @throws IllegalArgumentException when lo > hi, or the fallback is needed and no measured point lies in [lo, hi]
     */
    public Proposal proposal(double lo, double hi, double minR2) {
        if (!(lo <= hi)) throw new IllegalArgumentException("proposal range [" + lo + ", " + hi + "] is empty");
        if (Double.isNaN(minR2)) throw new IllegalArgumentException("minimum R² is NaN");
        if (isConcave() && r2 >= minR2) {
            double v = vertex();
            if (v >= lo && v <= hi) {
                return new Proposal(v, Rule.VERTEX, String.format(Locale.ROOT,
                        "vertex %.4f of a concave fit (R²=%.3f >= %.3f)", v, r2, minR2));
            }
            double x = v < lo ? lo : hi;
            return new Proposal(x, Rule.CLAMPED_VERTEX, String.format(Locale.ROOT,
                    "vertex %.4f of a concave fit (R²=%.3f >= %.3f) clamped to [%.4f, %.4f]", v, r2, minR2, lo, hi));
        }
        int best = -1;
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] >= lo && xs[i] <= hi && (best < 0 || ys[i] > ys[best])) best = i;
        }
        if (best < 0) throw new IllegalArgumentException("no sweep point lies in [" + lo + ", " + hi + "] to fall back on: " + Arrays.toString(xs));
        String why = !isConcave()
                ? String.format(Locale.ROOT, "fit is not concave (a=%.4g)", a)
                : String.format(Locale.ROOT, "fit explains too little (R²=%.3f < %.3f)", r2, minR2);
        return new Proposal(xs[best], Rule.BEST_SAMPLE, String.format(Locale.ROOT,
                "best sampled point %.4f (y=%.4f): %s", xs[best], ys[best], why));
    }

    @Override public boolean equals(Object o) {
        return o instanceof QuadraticFit f && Double.compare(a, f.a) == 0 && Double.compare(b, f.b) == 0
                && Double.compare(c, f.c) == 0 && Double.compare(r2, f.r2) == 0
                && Arrays.equals(xs, f.xs) && Arrays.equals(ys, f.ys);
    }

    @Override public int hashCode() {
        return Objects.hash(a, b, c, r2) * 31 * 31 + Arrays.hashCode(xs) * 31 + Arrays.hashCode(ys);
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "y = %.4g x² %+.4g x %+.4g (R²=%.3f, %d points)", a, b, c, r2, xs.length);
    }
}
