package alloy.report;

import alloy.results.Run;
import alloy.results.Split;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * leaderboard.html: one self-contained page that works offline (inline CSS and SVG; no script, font or image
 * fetched from anywhere): the ranked table with intervals, the plots of every run, and the runs themselves.
 *
 * <p>Structure a test (or a reader's script) can rely on: the table is {@code table#leaderboard} with one
 * {@code tr[data-candidate][data-run]} per entry; each plot is a {@code figure[data-plot][data-run]} holding one
 * {@code svg} in which every data point is a {@code g.mark[data-series][data-item]} (interval whiskers are
 * {@code g.whisker}).
 */
public final class HtmlReport {
    private HtmlReport() {}

    static {
        // Charts measure text through AWT; never look for a display.
        System.setProperty("java.awt.headless", "true");
    }

    public static void write(Path file, Leaderboard.Result r, List<Run> runs) {
        try {
            Files.writeString(file, render(r, runs, Instant.now()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The figures of the page, in page order: the leaderboard, then each run's plots. */
    static List<Plots.Figure> figures(Leaderboard.Result r, List<Run> runs) {
        List<Plots.Figure> out = new ArrayList<>();
        int i = 0;
        if (!r.entries().isEmpty() && !r.tasks().isEmpty()) out.add(Plots.leaderboard(r, i++));
        for (Run run : runs) {
            Plots.sweep(run, i++).ifPresent(out::add);
            Plots.evolve(run, i++).ifPresent(out::add);
            Plots.learning(run, i++).ifPresent(out::add);
            out.addAll(Plots.coefficients(run, i++));
            Plots.pareto(run, i++).ifPresent(out::add);
            Plots.soup(run, i++).ifPresent(out::add);
        }
        return out;
    }

    static String render(Leaderboard.Result r, List<Run> runs, Instant now) {
        StringBuilder h = new StringBuilder(1 << 16);
        String split = r.split() == Split.HELDOUT ? "held-out split" : r.split().id() + " split";
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Alloy leaderboard (").append(esc(split)).append(")</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<header>\n<h1>Alloy leaderboard</h1>\n<p class=\"meta\">")
                .append(r.entries().size()).append(" candidate(s) from ").append(runs.size()).append(" run(s), ranked on the <strong")
                .append(r.split() == Split.HELDOUT ? "" : " class=\"warn\"").append(">").append(esc(split)).append("</strong>")
                .append(r.tasks().isEmpty() ? "" : " over " + esc(String.join(", ", r.tasks().stream().map(t -> t.task() + " (" + t.metric() + ")").toList())))
                .append(". Generated ").append(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).format(now.atZone(ZoneOffset.UTC)))
                .append(".</p>\n</header>\n");
        h.append("<section id=\"how\">\n<p>").append(esc(r.method())).append("</p>\n");
        if (!r.notes().isEmpty()) {
            h.append("<ul class=\"notes\">\n");
            for (String n : r.notes()) h.append("<li>").append(esc(n)).append("</li>\n");
            h.append("</ul>\n");
        }
        h.append("</section>\n");
        table(h, r);
        h.append("<section id=\"plots\">\n<h2>Plots</h2>\n");
        List<Plots.Figure> figs = figures(r, runs);
        if (figs.isEmpty()) h.append("<p>No plots: the runs hold no scores to draw.</p>\n");
        for (Plots.Figure f : figs) {
            h.append("<figure data-plot=\"").append(esc(f.plot())).append("\"");
            if (!f.run().isEmpty()) h.append(" data-run=\"").append(esc(f.run())).append("\"");
            h.append(" data-marks=\"").append(f.marks()).append("\">\n").append(f.svg()).append("\n<figcaption>").append(esc(f.caption()))
                    .append(" Hover over a point for its numbers.</figcaption>\n</figure>\n");
        }
        h.append("</section>\n");
        runsTable(h, runs);
        h.append("<footer>Written by <code>alloy leaderboard</code>. Self-contained: no network needed to view it.</footer>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void table(StringBuilder h, Leaderboard.Result r) {
        h.append("<section id=\"table\">\n<h2>Ranking</h2>\n");
        if (r.entries().isEmpty()) {
            h.append("<p>No candidate has a score on the ").append(esc(r.split().id())).append(" split.</p>\n</section>\n");
            return;
        }
        h.append("<div class=\"scroll\"><table id=\"leaderboard\">\n<thead><tr><th>#</th><th>candidate</th><th>run</th><th>method</th><th>params</th>");
        for (Leaderboard.TaskColumn t : r.tasks()) {
            h.append("<th class=\"num\" title=\"").append(esc(t.direction().phrase())).append("\">").append(esc(t.task()))
                    .append("<br><span class=\"sub\">").append(esc(t.metric())).append(" (rank)<br>[95% CI]</span></th>");
        }
        h.append("<th class=\"num\">").append(r.tasks().size() == 1 ? "rank" : "mean rank").append("</th></tr></thead>\n<tbody>\n");
        for (Leaderboard.Entry e : r.shown()) {
            h.append("<tr data-candidate=\"").append(esc(e.candidate())).append("\" data-run=\"").append(esc(e.run())).append("\"")
                    .append(e.rank() == 1 ? " class=\"lead\"" : e.ranked() ? "" : " class=\"unranked\"").append(">")
                    .append("<td class=\"num\">").append(e.ranked() ? e.rank() : "&ndash;").append("</td>")
                    .append("<td class=\"name\"").append(e.recipeHash().isEmpty() ? "" : " title=\"recipe " + esc(e.recipeHash()) + " (recipes/" + esc(e.recipeHash()) + ".yaml in the run)\"")
                    .append(">").append(esc(e.candidate())).append("</td>")
                    .append("<td class=\"run\" title=\"").append(esc(e.kind().id())).append(" run\">").append(esc(e.run())).append("</td>")
                    .append("<td>").append(esc(e.method())).append("</td><td class=\"params\"")
                    .append(e.params().length() > PARAMS_SHOWN ? " title=\"" + esc(e.params()) + "\">" + esc(e.params().substring(0, PARAMS_SHOWN - 1)) + "&hellip;" : ">" + esc(e.params()))
                    .append("</td>");
            for (Leaderboard.TaskColumn t : r.tasks()) {
                Leaderboard.Cell c = e.cells().get(t.task());
                if (c == null) { h.append("<td class=\"num missing\">&ndash;</td>"); continue; }
                h.append("<td class=\"num").append(c.rank() == 1 ? " best" : "").append("\" data-task=\"").append(esc(t.task())).append("\">")
                        .append(Plots.num3(c.value())).append(" <span class=\"rank\">(").append(Plots.rank(c.rank())).append(")</span>")
                        .append("<br><span class=\"ci\">[").append(Plots.num3(c.low())).append(", ").append(Plots.num3(c.high())).append("]</span></td>");
            }
            h.append("<td class=\"num\">").append(Double.isNaN(e.meanRank()) ? "&ndash;" : String.format(Locale.ROOT, "%.2f", e.meanRank())).append("</td></tr>\n");
        }
        h.append("</tbody>\n</table></div>\n");
        if (r.shown().size() < r.entries().size()) {
            h.append("<p class=\"sub\">First ").append(r.shown().size()).append(" of ").append(r.entries().size()).append(" shown; leaderboard.csv has them all.</p>\n");
        }
        h.append("</section>\n");
    }

    /** Parameter summaries longer than this are cut in the table (the whole text is the cell's tooltip). */
    static final int PARAMS_SHOWN = 48;

    private static void runsTable(StringBuilder h, List<Run> runs) {
        h.append("<section id=\"runs\">\n<h2>Runs</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>run</th><th>kind</th><th>command</th><th>seed</th><th>started</th><th>finished</th><th>Alloy</th><th class=\"num\">score lines</th></tr></thead>\n<tbody>\n");
        for (Run run : runs) {
            h.append("<tr data-run=\"").append(esc(run.id())).append("\"><td>").append(esc(run.id())).append("</td><td>").append(esc(run.kind().id()))
                    .append("</td><td><code>").append(esc(run.info().commandLine())).append("</code></td><td>")
                    .append(run.info().seed().isPresent() ? run.info().seed().getAsLong() : "&ndash;").append("</td><td>")
                    .append(time(run.info().started())).append("</td><td>")
                    .append(run.info().finished().map(HtmlReport::time).orElse("<span class=\"warn\">did not finish</span>")).append("</td><td>")
                    .append(esc(run.info().alloyVersion())).append("</td><td class=\"num\">").append(run.candidates().size()).append("</td></tr>\n");
        }
        h.append("</tbody>\n</table></div>\n</section>\n");
    }

    private static String time(Instant t) {
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT).format(t.atZone(ZoneOffset.UTC));
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static final String CSS = """
            :root { color-scheme: light; }
            body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d2329; margin: 24px auto; max-width: 1400px; padding: 0 16px; }
            h1 { font-size: 24px; margin: 0 0 4px; }
            h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
            .meta, .sub, figcaption, footer { color: #5a6570; }
            .sub { font-size: 12px; font-weight: normal; }
            .warn { color: #b3261e; }
            .notes { margin: 4px 0; padding-left: 20px; color: #444; }
            .scroll { overflow-x: auto; }
            table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
            th, td { padding: 4px 6px; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; }
            th { background: #f4f6f8; font-weight: 600; }
            td.num, th.num { text-align: right; white-space: nowrap; }
            td.name { white-space: nowrap; }
            td.run { min-width: 8em; }
            td.name { font-weight: 600; }
            td.params { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; max-width: 14em; }
            tr.lead td { background: #eef6ee; }
            tr.unranked td { color: #7a8590; }
            td.best { font-weight: 700; }
            .ci { color: #6a7580; font-size: 12px; }
            .rank { color: #6a7580; font-size: 12px; }
            figure { margin: 18px 0; }
            figure svg { width: 100%; height: auto; max-width: 820px; display: block; border: 1px solid #eceff2; }
            g.mark:hover { opacity: 0.6; }
            figcaption { font-size: 13px; margin-top: 4px; max-width: 820px; }
            code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
            footer { margin-top: 32px; font-size: 12px; }
            """;
}
