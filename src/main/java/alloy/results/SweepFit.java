package alloy.results;

import java.util.OptionalDouble;

/**
 * The quadratic a sweep fitted to its objective, y = a x² + b x + c, and the value it proposed: fit.json.
 *
 * @param vertex   -b / 2a, empty when a = 0 (a straight line has none)
 * @param proposal where the sweep looked next (the vertex, clamped, or the best sampled point)
 * @param reason   why that proposal, one sentence ("" when not known)
 */
public record SweepFit(String param, double a, double b, double c, double r2, OptionalDouble vertex, double proposal, String reason) {
    public SweepFit {
        String what = "sweep fit";
        Check.nonBlank(what, "param", param);
        Check.finite(what, "a", a);
        Check.finite(what, "b", b);
        Check.finite(what, "c", c);
        if (!(r2 >= 0 && r2 <= 1)) throw new IllegalArgumentException(what + ": r2 must be in [0, 1], got " + r2);
        if (vertex == null) throw new NullPointerException(what + ": vertex (use OptionalDouble.empty())");
        if (vertex.isPresent()) Check.finite(what, "vertex", vertex.getAsDouble());
        Check.finite(what, "proposal", proposal);
        Check.notNull(what, "reason", reason);
    }

    /** The fit with its vertex computed from a and b. */
    public static SweepFit of(String param, double a, double b, double c, double r2, double proposal, String reason) {
        return new SweepFit(param, a, b, c, r2, a == 0 ? OptionalDouble.empty() : OptionalDouble.of(-b / (2 * a)), proposal, reason);
    }

    public double at(double x) { return (a * x + b) * x + c; }

    public boolean concave() { return a < 0; }
}
