package alloy.results;

/**
 * One generation of an evolutionary search: a line of generations.csv.
 *
 * @param generation 0 for the initial population
 * @param evaluated  fitness evaluations so far, this generation's included (cache hits not counted), so the
 *                   cost of a result can be read beside it
 * @param best       the best objective in this generation's population (search split); NaN when none was scored
 * @param mean       the population's mean objective; NaN when none was scored
 */
public record Generation(int generation, int evaluated, double best, double mean) {
    public Generation {
        Check.nonNegative("generation", "generation", generation);
        Check.nonNegative("generation " + generation, "evaluated", evaluated);
        Check.finiteOrNaN("generation " + generation, "best", best);
        Check.finiteOrNaN("generation " + generation, "mean", mean);
    }
}
