/**
 * Leaderboards and reports over run directories ({@link alloy.results}): {@link alloy.report.Leaderboard} ranks
 * candidates per task and overall with Tablesaw (the only package that uses it), and writes a terminal table
 * ({@link alloy.report.TerminalTable}), Markdown ({@link alloy.report.Markdown}) and one self-contained HTML page
 * ({@link alloy.report.HtmlReport}) whose plots are JFreeChart charts inlined as SVG, one mark group per data point.
 */
package alloy.report;
