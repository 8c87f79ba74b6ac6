/**
 * One results layout for every command (eval, sweep, evolve, soup, learn): a run directory holding run.json (what
 * ran, with what, when, by which Alloy), candidates.csv in one schema (one line per candidate, split, task and
 * metric, with its interval), the recipes by hash, and the files a report draws for the run's kind (sweep.csv and
 * fit.json, generations.csv, coefficients.csv, pareto.csv, soup.csv). results/README.md describes the files.
 *
 * <p>{@link alloy.results.RunWriter} writes a directory (row by row, flushed, so a killed run keeps what it
 * wrote); {@link alloy.results.RunReader} reads one back into a {@link alloy.results.Run}, refusing a malformed
 * file with one line naming the file, the line and the field. Plain Java and Jackson only: this package knows
 * nothing of evaluation, search or reports, so each of them can depend on it.
 */
package alloy.results;
