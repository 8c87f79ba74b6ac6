/**
 * Choosing merges: the one candidate seam ({@link alloy.search.CandidateScorer}: a recipe built in memory and
 * scored on a split), one-value sweeps with a quadratic fit, the Jenetics genetic search over per-layer
 * coefficients ({@link alloy.search.Evolution} through {@link alloy.search.MergeCodec}, journalled and resumable)
 * and greedy soups. The only package that imports Jenetics. Above eval and recipe; it has no merge code of its own.
 */
package alloy.search;
