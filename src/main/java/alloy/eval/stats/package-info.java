/**
 * Statistics for proxy scores, in plain Java: per-item metric values ({@link alloy.eval.stats.Metrics}), a
 * seeded percentile bootstrap that puts an interval on their mean or on any statistic over items
 * ({@link alloy.eval.stats.Bootstrap}, giving a {@link alloy.eval.stats.Score}), paired comparison of two
 * candidates on the same items ({@link alloy.eval.stats.PairedTest}: paired bootstrap and exact sign test),
 * domain-balanced means and correlations ({@link alloy.eval.stats.Metrics#balancedMeanOf},
 * {@link alloy.eval.stats.Bootstrap#balancedMean}), agreement between the splits of a set on the ranking of many
 * candidates with the smallest difference each split resolves ({@link alloy.eval.stats.RankAgreement}, over
 * {@link alloy.eval.stats.ItemStatistic}s that can be recomputed on resampled items), and
 * the least-squares parabola a one-parameter sweep proposes its next point from
 * ({@link alloy.eval.stats.QuadraticFit}).
 *
 * <p>Proxy sets hold tens of items, so a difference of a few points is often noise; every score carries its
 * interval and its per-item values so that a claimed gain can be checked item by item.
 */
package alloy.eval.stats;
