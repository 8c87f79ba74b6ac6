package alloy.results;

/**
 * One point of a one-parameter sweep on the search split: a line of sweep.csv.
 *
 * @param param     the swept value's name, e.g. {@code t} or {@code models[1].weight}
 * @param value     where it was set
 * @param objective the sweep's objective there (mean over tasks of the primary metric, each turned so that higher
 *                  is better); NaN when it could not be computed
 * @param proposal  true for the point the fit proposed and that was merged to confirm it
 */
public record SweepPoint(String param, double value, double objective, boolean proposal) {
    public SweepPoint {
        Check.nonBlank("sweep point", "param", param);
        Check.finite("sweep point " + param, "value", value);
        Check.finiteOrNaN("sweep point " + param + "=" + value, "objective", objective);
    }
}
