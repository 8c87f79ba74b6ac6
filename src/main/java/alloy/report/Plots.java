package alloy.report;

import alloy.results.CandidateRow;
import alloy.results.Coefficient;
import alloy.results.Decision;
import alloy.results.Direction;
import alloy.results.Generation;
import alloy.results.LearnCheck;
import alloy.results.LearnStep;
import alloy.results.ParetoPoint;
import alloy.results.Run;
import alloy.results.RunKind;
import alloy.results.SoupStep;
import alloy.results.Split;
import alloy.results.SweepFit;
import alloy.results.SweepPoint;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYItemRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XIntervalSeries;
import org.jfree.data.xy.XIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.chart.plot.Plot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.xy.AbstractXYItemRenderer;

/**
 * The report's plots, each a JFreeChart rendered to inline SVG with one mark group per data point: the
 * leaderboard (points with interval whiskers), a sweep's objective with its fitted quadratic and proposal, an
 * evolutionary search's best and mean objective per generation, a learn run's training and early-stopping loss
 * per step, the winning (or learned) recipe's coefficients as a heatmap of layers by models, a Pareto front, and
 * a greedy soup's accept/reject steps. Every axis says what it
 * measures and in what unit.
 */
final class Plots {
    private Plots() {}

    /** A plot ready for the page: {@code plot} names its kind (the figure's data-plot), {@code marks} its data points. */
    record Figure(String plot, String run, String title, String svg, String caption, int marks) {}

    static final int WIDTH = 820;
    /** Leaderboard rows drawn at most; the table lists every one. */
    static final int MAX_LEADERBOARD_ROWS = 40;

    // Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
    static final Color BLUE = new Color(0x0072B2), VERMILLION = new Color(0xD55E00), GREEN = new Color(0x009E73),
            PURPLE = new Color(0xCC79A7), ORANGE = new Color(0xE69F00), SKY = new Color(0x56B4E9), GREY = new Color(0x999999);
    static final Color[] PALETTE = {BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY};
    static final Font FONT = new Font("SansSerif", Font.PLAIN, 12), TITLE = new Font("SansSerif", Font.BOLD, 15),
            SUBTITLE = new Font("SansSerif", Font.PLAIN, 12);

    // ---- leaderboard -------------------------------------------------------------------------------------------

    static Figure leaderboard(Leaderboard.Result r, int index) {
        List<Leaderboard.Entry> shown = r.shown().size() > MAX_LEADERBOARD_ROWS ? r.shown().subList(0, MAX_LEADERBOARD_ROWS) : r.shown();
        String[] labels = new String[shown.size()];
        for (int i = 0; i < shown.size(); i++) {
            Leaderboard.Entry e = shown.get(i);
            labels[i] = shorten((e.ranked() ? e.rank() + ". " : "- ") + e.candidate() + "  (" + e.run() + ")", 44);
        }
        SymbolAxis names = new SymbolAxis(null, labels);
        names.setInverted(true);
        names.setTickLabelFont(FONT);
        names.setGridBandsVisible(true);
        names.setGridBandPaint(new Color(0xF4F6F8));
        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(names);
        plot.setGap(14);
        int marks = 0, t = 0;
        for (Leaderboard.TaskColumn tc : r.tasks()) {
            // Not sorted: the tooltips are looked up by the order points were added in.
            XIntervalSeries s = new XIntervalSeries(tc.task(), false, true);
            List<String> titles = new ArrayList<>();
            for (int i = 0; i < shown.size(); i++) {
                Leaderboard.Cell c = shown.get(i).cells().get(tc.task());
                if (c == null || Double.isNaN(c.value())) continue;
                double lo = Double.isNaN(c.low()) ? c.value() : c.low(), hi = Double.isNaN(c.high()) ? c.value() : c.high();
                s.add(c.value(), lo, hi, i);
                titles.add(String.format(Locale.ROOT, "%s (%s): %s %s %s [%s, %s], n=%d, rank %s", shown.get(i).candidate(), shown.get(i).run(),
                        tc.task(), tc.metric(), num3(c.value()), num3(c.low()), num3(c.high()), c.n(), rank(c.rank())));
                marks++;
            }
            XIntervalSeriesCollection d = new XIntervalSeriesCollection();
            d.addSeries(s);
            // Short: the panels share the width. The subtitle says what the units and whiskers are.
            // Beyond three panels the full label no longer fits under one; the subtitle names metric and unit.
            NumberAxis x = axis(r.tasks().size() > 3 ? tc.task() : tc.task() + " " + tc.metric() + " (" + shortUnit(tc.metric()) + ")");
            margins(x);
            // Every candidate at one value (all 1.0 on an easy task) would otherwise get a 1e-8 wide range
            // labelled in scientific notation.
            x.setAutoRangeMinimumSize(0.05);
            MarkedRenderers.Whiskers w = new MarkedRenderers.Whiskers((ds, series, item) -> titles.get(item));
            w.setSeriesPaint(0, PALETTE[t % PALETTE.length]);
            w.setErrorPaint(PALETTE[t % PALETTE.length]);
            w.setErrorStroke(new BasicStroke(1.6f));
            w.setSeriesShape(0, circle(4.5));
            XYPlot sub = new XYPlot(d, x, null, w);
            style(sub);
            plot.add(sub, 1);
            t++;
        }
        plot.setOrientation(PlotOrientation.VERTICAL);
        String split = r.split() == Split.HELDOUT ? "held-out split" : r.split().id().toUpperCase(Locale.ROOT) + " split (optimistic: chosen on it)";
        JFreeChart chart = chart("Leaderboard, " + split, plot, false);
        chart.addSubtitle(subtitle("point: score; whisker: 95% bootstrap interval; " + String.join("; ", r.tasks().stream()
                .map(tc -> tc.metric() + " in " + unit(tc.metric()) + ", " + tc.direction().phrase()).distinct().toList())));
        int height = 110 + 24 * Math.max(1, shown.size());
        String caption = "Each point is a candidate's score with its 95% bootstrap interval, one panel per task, candidates in overall rank order"
                + (shown.size() < r.entries().size() ? " (first " + shown.size() + " of " + r.entries().size() + ")" : "") + ".";
        return new Figure("leaderboard", "", "Leaderboard", SvgChart.render(chart, WIDTH, height, "plot" + index), caption, marks);
    }

    // ---- sweep --------------------------------------------------------------------------------------------------

    static Optional<Figure> sweep(Run run, int index) {
        if (run.sweep().isEmpty()) return Optional.empty();
        String param = run.sweep().get(0).param();
        XYSeries sampled = new XYSeries("sampled", true, true), proposal = new XYSeries("proposal", true, true),
                curve = new XYSeries(MarkedRenderers.LINE + "quadratic fit", true, true);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (SweepPoint p : run.sweep()) {
            (p.proposal() ? proposal : sampled).add(p.value(), p.objective());
            lo = Math.min(lo, p.value());
            hi = Math.max(hi, p.value());
        }
        Optional<SweepFit> fit = run.fit();
        if (fit.isPresent()) {
            lo = Math.min(lo, fit.get().proposal());
            hi = Math.max(hi, fit.get().proposal());
            for (int i = 0; i <= 100; i++) {
                double x = lo + (hi - lo) * i / 100.0;
                curve.add(x, fit.get().at(x));
            }
        }
        XYSeriesCollection d = new XYSeriesCollection();
        d.addSeries(sampled);
        d.addSeries(proposal);
        d.addSeries(curve);
        MarkedRenderers.Points pr = new MarkedRenderers.Points(false, true, (ds, s, i) -> String.format(Locale.ROOT, "%s %s=%s: objective %s",
                ds.getSeriesKey(s), param, num(ds.getXValue(s, i)), num(ds.getYValue(s, i))));
        pr.setSeriesPaint(0, BLUE);
        pr.setSeriesShape(0, circle(4.5));
        pr.setSeriesPaint(1, VERMILLION);
        pr.setSeriesShape(1, diamond(7));
        pr.setSeriesPaint(2, GREY);
        pr.setSeriesLinesVisible(2, true);
        pr.setSeriesShapesVisible(2, false);
        pr.setSeriesStroke(2, new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f));
        pr.setSeriesVisibleInLegend(2, true);
        pr.setDrawSeriesLineAsPath(true);
        XYPlot plot = new XYPlot(d, margins(axis(param + " (swept value)")), margins(axis(OBJECTIVE)), pr);
        style(plot);
        JFreeChart chart = chart("Sweep of " + param + " - " + run.id(), plot, true);
        fit.ifPresent(f -> chart.addSubtitle(subtitle(String.format(Locale.ROOT, "fit y = %s x\u00b2 %s x %s, R\u00b2 = %.3f; %s; proposal %s = %s",
                num(f.a()), signed(f.b()), signed(f.c()), f.r2(), f.concave() ? "concave, vertex " + f.vertex().stream().mapToObj(Plots::num).findFirst().orElse("-") : "not concave",
                param, num(f.proposal())))));
        legendLabels(chart);
        int marks = sampled.getItemCount() + proposal.getItemCount();
        String caption = "Objective at each swept value on the search split (points), the least-squares quadratic through them (dashed) and the value it proposed (diamond)."
                + fit.map(f -> f.reason().isEmpty() ? "" : " Proposal: " + f.reason() + ".").orElse(" No fit was recorded.");
        return Optional.of(new Figure("sweep", run.id(), "Sweep of " + param, SvgChart.render(chart, WIDTH, 400, "plot" + index), caption, marks));
    }

    // ---- evolve -------------------------------------------------------------------------------------------------

    static Optional<Figure> evolve(Run run, int index) {
        if (run.generations().isEmpty()) return Optional.empty();
        XYSeries best = new XYSeries("best", true, true), mean = new XYSeries("mean", true, true);
        for (Generation g : run.generations()) {
            if (!Double.isNaN(g.best())) best.add(g.generation(), g.best());
            if (!Double.isNaN(g.mean())) mean.add(g.generation(), g.mean());
        }
        Map<Integer, Integer> evaluated = new LinkedHashMap<>();
        run.generations().forEach(g -> evaluated.put(g.generation(), g.evaluated()));
        XYSeriesCollection d = new XYSeriesCollection();
        d.addSeries(best);
        d.addSeries(mean);
        MarkedRenderers.Points pr = new MarkedRenderers.Points(true, true, (ds, s, i) -> String.format(Locale.ROOT, "generation %d: %s objective %s (%d evaluations so far)",
                (int) ds.getXValue(s, i), ds.getSeriesKey(s), num(ds.getYValue(s, i)), evaluated.getOrDefault((int) ds.getXValue(s, i), 0)));
        pr.setSeriesPaint(0, BLUE);
        pr.setSeriesShape(0, circle(3.5));
        pr.setSeriesStroke(0, new BasicStroke(2f));
        pr.setSeriesPaint(1, ORANGE);
        pr.setSeriesShape(1, square(3));
        pr.setSeriesStroke(1, new BasicStroke(1.5f));
        NumberAxis x = axis("generation (0 = initial population)");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        pr.setDrawSeriesLineAsPath(true);
        XYPlot plot = new XYPlot(d, margins(x), margins(axis(OBJECTIVE)), pr);
        style(plot);
        JFreeChart chart = chart("Evolutionary search - " + run.id(), plot, true);
        Generation last = run.generations().get(run.generations().size() - 1);
        chart.addSubtitle(subtitle(String.format(Locale.ROOT, "%d generations, %d fitness evaluations", run.generations().size(), last.evaluated())));
        String caption = "Best and mean objective of each generation's population on the search split.";
        return Optional.of(new Figure("evolve", run.id(), "Evolutionary search", SvgChart.render(chart, WIDTH, 380, "plot" + index), caption,
                best.getItemCount() + mean.getItemCount()));
    }

    // ---- learning curve -------------------------------------------------------------------------------------------

    /** A learn run's training loss at every Adam step and early-stopping loss at every check, the kept check marked. */
    static Optional<Figure> learning(Run run, int index) {
        if (run.learning().isEmpty() && run.checks().isEmpty()) return Optional.empty();
        XYSeries training = new XYSeries("training loss", true, true);
        XYSeries stopping = new XYSeries("early-stopping loss", true, true);
        for (LearnStep s : run.learning()) if (!Double.isNaN(s.trainingLoss())) training.add(s.step(), s.trainingLoss());
        for (LearnCheck c : run.checks()) if (!Double.isNaN(c.stoppingLoss())) stopping.add(c.step(), c.stoppingLoss());
        Optional<LearnCheck> kept = run.checks().stream().filter(LearnCheck::best).reduce((a, b) -> b);
        XYSeries keptPoint = new XYSeries("kept", true, true);
        kept.filter(c -> !Double.isNaN(c.stoppingLoss())).ifPresent(c -> keptPoint.add(c.step(), c.stoppingLoss()));
        XYSeriesCollection d = new XYSeriesCollection();
        d.addSeries(training);
        d.addSeries(stopping);
        d.addSeries(keptPoint);
        MarkedRenderers.Points pr = new MarkedRenderers.Points(true, true, (ds, s, i) -> String.format(Locale.ROOT, "step %d: %s %s",
                (int) ds.getXValue(s, i), ds.getSeriesKey(s), num(ds.getYValue(s, i))));
        pr.setSeriesPaint(0, BLUE);
        pr.setSeriesShape(0, circle(2));
        pr.setSeriesStroke(0, new BasicStroke(1.5f));
        pr.setSeriesPaint(1, ORANGE);
        pr.setSeriesShape(1, square(3.5));
        pr.setSeriesStroke(1, new BasicStroke(2f));
        pr.setSeriesPaint(2, VERMILLION);
        pr.setSeriesShape(2, circle(6));
        pr.setSeriesLinesVisible(2, false);
        pr.setDrawSeriesLineAsPath(true);
        NumberAxis x = axis("Adam step (0 = the starting coefficients)");
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        XYPlot plot = new XYPlot(d, margins(x), margins(axis("loss (lower is better)")), pr);
        style(plot);
        JFreeChart chart = chart("Learned coefficients - " + run.id(), plot, true);
        chart.addSubtitle(subtitle(kept.map(c -> String.format(Locale.ROOT, "%d steps; kept the coefficients of step %d (early-stopping loss %s, from %s)",
                run.learning().size(), c.step(), num(c.stoppingLoss()), num(run.checks().get(0).stoppingLoss())))
                .orElse(run.learning().size() + " steps")));
        String caption = "Training loss at each Adam step and the loss on the part of the search split kept out of training at each "
                + "check; the coefficients of the lowest check are the ones written (learned.yaml).";
        return Optional.of(new Figure("learn", run.id(), "Learning curve", SvgChart.render(chart, WIDTH, 380, "plot" + index), caption,
                training.getItemCount() + stopping.getItemCount() + keptPoint.getItemCount()));
    }

    // ---- coefficients heatmap ---------------------------------------------------------------------------------------

    static List<Figure> coefficients(Run run, int index) {
        List<Figure> out = new ArrayList<>();
        Map<String, List<Coefficient>> byParam = new LinkedHashMap<>();
        for (Coefficient c : run.coefficients()) byParam.computeIfAbsent(c.parameter(), k -> new ArrayList<>()).add(c);
        int k = 0;
        for (Map.Entry<String, List<Coefficient>> e : byParam.entrySet()) {
            List<Coefficient> cs = e.getValue();
            List<String> models = new ArrayList<>(new LinkedHashSet<>(cs.stream().map(Coefficient::model).toList()));
            double[][] xyz = new double[3][cs.size()];
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            int maxLayer = 0;
            for (int i = 0; i < cs.size(); i++) {
                Coefficient c = cs.get(i);
                xyz[0][i] = c.layer();
                xyz[1][i] = models.indexOf(c.model());
                xyz[2][i] = c.value();
                min = Math.min(min, c.value());
                max = Math.max(max, c.value());
                maxLayer = Math.max(maxLayer, c.layer());
            }
            DefaultXYZDataset d = new DefaultXYZDataset();
            d.addSeries(e.getKey(), xyz);
            MarkedRenderers.Cells r = new MarkedRenderers.Cells((ds, s, i) -> String.format(Locale.ROOT, "layer %d, %s: %s = %s",
                    cs.get(i).layer(), cs.get(i).model(), cs.get(i).parameter(), num(cs.get(i).value())));
            Gradient scale = Gradient.of(min, max);
            r.setPaintScale(scale);
            r.setBlockWidth(1);
            r.setBlockHeight(1);
            NumberAxis x = axis("layer (index, 0 = nearest the input)");
            x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
            x.setRange(-0.5, maxLayer + 0.5);
            SymbolAxis y = new SymbolAxis("model", models.stream().map(m -> shorten(lastPart(m), 28)).toArray(String[]::new));
            y.setLabelFont(FONT);
            y.setTickLabelFont(FONT);
            y.setGridBandsVisible(false);
            y.setInverted(true);
            XYPlot plot = new XYPlot(d, x, y, r);
            style(plot);
            plot.setDomainGridlinesVisible(false);
            plot.setRangeGridlinesVisible(false);
            // The value in each cell, light on dark cells: the colour alone reads only roughly.
            for (Coefficient c : cs) {
                XYTextAnnotation a = new XYTextAnnotation(num(c.value()), c.layer(), models.indexOf(c.model()));
                a.setFont(FONT);
                double t = (c.value() - scale.getLowerBound()) / (scale.getUpperBound() - scale.getLowerBound());
                a.setPaint(scale.diverging() ? (Math.abs(t - 0.5) > 0.3 ? Color.WHITE : Color.BLACK) : (t > 0.55 ? Color.WHITE : Color.BLACK));
                plot.addAnnotation(a);
            }
            // a learn run's coefficients are its learned recipe's; an evolve run's, its winner's
            String which = run.kind() == RunKind.LEARN ? "learned" : "winning";
            JFreeChart chart = chart(Character.toUpperCase(which.charAt(0)) + which.substring(1) + " recipe: " + e.getKey() + " per layer and model - " + run.id(), plot, false);
            NumberAxis legendAxis = new NumberAxis(e.getKey() + " (coefficient value)");
            legendAxis.setLabelFont(FONT);
            legendAxis.setTickLabelFont(FONT);
            legendAxis.setRange(scale.getLowerBound(), scale.getUpperBound());
            PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
            legend.setPosition(RectangleEdge.RIGHT);
            legend.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
            legend.setStripWidth(14);
            legend.setMargin(new RectangleInsets(10, 6, 10, 6));
            legend.setBackgroundPaint(Color.WHITE);
            chart.addSubtitle(legend);
            int height = Math.max(260, 120 + 40 * models.size());
            String caption = "The " + e.getKey() + " each model gets at each layer in the " + which + " recipe (" + models.size() + " models x " + (maxLayer + 1) + " layers).";
            out.add(new Figure("coefficients", run.id(), "Coefficients: " + e.getKey(), SvgChart.render(chart, WIDTH, height, "plot" + index + "-" + k++),
                    caption, cs.size()));
        }
        return out;
    }

    /** A colour scale: sequential (white to blue) for one-signed values, diverging (blue, white, red) around 0. */
    record Gradient(double lower, double upper, boolean diverging) implements PaintScale {
        static Gradient of(double min, double max) {
            if (min < 0 && max > 0) {
                double m = Math.max(-min, max);
                return new Gradient(-m, m, true);
            }
            double lo = Math.min(0, min), hi = Math.max(0, max);
            if (lo == hi) hi = lo + 1;
            return new Gradient(lo, hi, false);
        }

        @Override public double getLowerBound() { return lower; }

        @Override public double getUpperBound() { return upper; }

        @Override public Paint getPaint(double v) {
            double t = Math.max(0, Math.min(1, (v - lower) / (upper - lower)));
            if (!diverging) return mix(new Color(0xF7FBFF), new Color(0x08306B), t);
            return t < 0.5 ? mix(new Color(0x2166AC), Color.WHITE, t * 2) : mix(Color.WHITE, new Color(0xB2182B), (t - 0.5) * 2);
        }

        private static Color mix(Color a, Color b, double t) {
            return new Color((int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * t), (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                    (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * t));
        }
    }

    // ---- Pareto front -------------------------------------------------------------------------------------------

    static Optional<Figure> pareto(Run run, int index) {
        if (run.pareto().isEmpty()) return Optional.empty();
        List<String> objectives = List.copyOf(run.pareto().get(0).objectives().keySet());
        if (objectives.size() < 2) return Optional.empty();
        String ox = objectives.get(0), oy = objectives.get(1);
        // Not sorted: the tooltips are looked up by the order points were added in.
        XYSeries front = new XYSeries("front", false, true), frontLine = new XYSeries(MarkedRenderers.LINE + "front", false, true),
                cloud = new XYSeries("evaluated", false, true);
        List<String> frontNames = new ArrayList<>();
        List<ParetoPoint> sorted = run.pareto().stream().sorted(Comparator.comparingDouble(p -> p.objectives().get(ox))).toList();
        for (ParetoPoint p : sorted) {
            front.add(p.objectives().get(ox), p.objectives().get(oy));
            frontLine.add(p.objectives().get(ox), p.objectives().get(oy));
            frontNames.add(p.candidate());
        }
        // Context: every candidate the search scored on both tasks (search split, primary metric turned to higher-is-better).
        Map<String, double[]> all = new LinkedHashMap<>();
        List<String> cloudNames = new ArrayList<>();
        for (CandidateRow c : run.candidates()) {
            if (c.split() != Split.SEARCH || !c.metric().equals(run.info().metrics().getOrDefault(c.task(), c.metric()))) continue;
            int col = c.task().equals(ox) ? 0 : c.task().equals(oy) ? 1 : -1;
            if (col < 0) continue;
            double v = Direction.of(c.metric()) == Direction.HIGHER_IS_BETTER ? c.value() : -c.value();
            all.computeIfAbsent(c.candidate(), k -> new double[] {Double.NaN, Double.NaN})[col] = v;
        }
        for (Map.Entry<String, double[]> e : all.entrySet()) {
            if (Double.isNaN(e.getValue()[0]) || Double.isNaN(e.getValue()[1]) || frontNames.contains(e.getKey())) continue;
            cloud.add(e.getValue()[0], e.getValue()[1]);
            cloudNames.add(e.getKey());
        }
        XYSeriesCollection d = new XYSeriesCollection();
        d.addSeries(cloud);
        d.addSeries(front);
        d.addSeries(frontLine);
        MarkedRenderers.Points pr = new MarkedRenderers.Points(false, true, (ds, s, i) -> String.format(Locale.ROOT, "%s: %s %s, %s %s",
                s == 0 ? cloudNames.get(i) : frontNames.get(i), ox, num(ds.getXValue(s, i)), oy, num(ds.getYValue(s, i))));
        pr.setSeriesPaint(0, new Color(0xBBBBBB));
        pr.setSeriesShape(0, circle(2.5));
        pr.setSeriesPaint(1, VERMILLION);
        pr.setSeriesShape(1, circle(5));
        pr.setSeriesPaint(2, VERMILLION);
        pr.setSeriesLinesVisible(2, true);
        pr.setSeriesShapesVisible(2, false);
        pr.setSeriesVisibleInLegend(2, false);
        pr.setDrawSeriesLineAsPath(true);
        XYPlot plot = new XYPlot(d, margins(axis(ox + " objective (higher is better)")), margins(axis(oy + " objective (higher is better)")), pr);
        style(plot);
        JFreeChart chart = chart("Pareto front, search split - " + run.id(), plot, true);
        if (objectives.size() > 2) chart.addSubtitle(subtitle("first two of " + objectives.size() + " objectives: " + objectives));
        legendLabels(chart);
        String caption = "Candidates no other candidate beats on both objectives (red), among everything the search scored (grey). Objectives are task scores"
                + " on the search split, negated for lower-is-better metrics.";
        return Optional.of(new Figure("pareto", run.id(), "Pareto front", SvgChart.render(chart, WIDTH, 440, "plot" + index), caption,
                front.getItemCount() + cloud.getItemCount()));
    }

    // ---- greedy soup --------------------------------------------------------------------------------------------

    static Optional<Figure> soup(Run run, int index) {
        if (run.soup().isEmpty()) return Optional.empty();
        List<SoupStep> steps = run.soup().stream().sorted(Comparator.comparingInt(SoupStep::step)).toList();
        Map<Decision, XYSeries> series = new LinkedHashMap<>();
        for (Decision dec : Decision.values()) series.put(dec, new XYSeries(dec.id(), true, true));
        XYSeries kept = new XYSeries(MarkedRenderers.LINE + "soup", true, true);
        Map<Decision, List<SoupStep>> byDecision = new LinkedHashMap<>();
        String[] labels = new String[steps.size()];
        double current = Double.NaN;
        for (int i = 0; i < steps.size(); i++) {
            SoupStep s = steps.get(i);
            labels[i] = shorten(s.step() + " " + lastPart(s.model()), 22);
            if (!Double.isNaN(s.score())) {
                series.get(s.decision()).add(i, s.score());
                byDecision.computeIfAbsent(s.decision(), k -> new ArrayList<>()).add(s);
            }
            if (s.decision() != Decision.REJECT && !Double.isNaN(s.score())) current = s.score();
            if (!Double.isNaN(current)) kept.add(i, current);
        }
        XYSeriesCollection d = new XYSeriesCollection();
        series.values().forEach(d::addSeries);
        d.addSeries(kept);
        String metric = steps.get(0).metric();
        MarkedRenderers.Points pr = new MarkedRenderers.Points(false, true, (ds, s, i) -> {
            SoupStep st = byDecision.get(Decision.parse(ds.getSeriesKey(s).toString())).get(i);
            return String.format(Locale.ROOT, "step %d, %s: %s (%s %s)", st.step(), st.model(), st.decision(), st.metric(), num(st.score()));
        });
        Color[] colors = {BLUE, GREEN, VERMILLION};
        Shape[] shapes = {square(5), circle(5.5), cross(5)};
        for (int i = 0; i < 3; i++) {
            pr.setSeriesPaint(i, colors[i]);
            pr.setSeriesShape(i, shapes[i]);
        }
        pr.setSeriesPaint(3, GREY);
        pr.setSeriesLinesVisible(3, true);
        pr.setSeriesShapesVisible(3, false);
        pr.setSeriesStroke(3, new BasicStroke(1.5f));
        pr.setSeriesVisibleInLegend(3, true);
        SymbolAxis x = new SymbolAxis("step: model tried, in order", labels);
        x.setLabelFont(FONT);
        x.setTickLabelFont(FONT);
        x.setGridBandsVisible(false);
        x.setVerticalTickLabels(steps.size() > 6);
        pr.setDrawSeriesLineAsPath(true);
        String unit = unit(metric);
        XYPlot plot = new XYPlot(d, x, margins(axis("soup's " + metric + " (" + (unit.equals("score") ? "" : unit + ", ") + Direction.of(metric).phrase() + ")")), pr);
        style(plot);
        JFreeChart chart = chart("Greedy soup - " + run.id(), plot, true);
        legendLabels(chart);
        long accepted = steps.stream().filter(s -> s.decision() == Decision.ACCEPT).count();
        String caption = "Each model tried in turn: kept when the soup with it scored at least as well (green), left out otherwise (red); the grey line is the soup's score. "
                + (accepted + 1) + " of " + steps.size() + " models kept.";
        int marks = series.values().stream().mapToInt(XYSeries::getItemCount).sum();
        return Optional.of(new Figure("soup", run.id(), "Greedy soup", SvgChart.render(chart, WIDTH, steps.size() > 6 ? 460 : 400, "plot" + index), caption, marks));
    }

    // ---- shared ----------------------------------------------------------------------------------------------------

    private static JFreeChart chart(String title, Plot plot, boolean legend) {
        JFreeChart chart = new JFreeChart(title, TITLE, plot, legend);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(6, 6, 6, 10));
        if (legend) {
            chart.getLegend().setFrame(BlockBorder.NONE);
            chart.getLegend().setItemFont(FONT);
            chart.getLegend().setBackgroundPaint(Color.WHITE);
        }
        return chart;
    }

    /** Legend entries without the "line:" prefix that keeps lines from getting marks. */
    private static void legendLabels(JFreeChart chart) {
        if (!(chart.getPlot() instanceof XYPlot p)) return;
        XYItemRenderer r = p.getRenderer();
        if (r instanceof AbstractXYItemRenderer a) {
            a.setLegendItemLabelGenerator((ds, s) -> ds.getSeriesKey(s).toString().replaceFirst("^" + MarkedRenderers.LINE, ""));
        }
    }

    private static TextTitle subtitle(String text) {
        TextTitle t = new TextTitle(text, SUBTITLE);
        t.setPaint(new Color(0x444444));
        return t;
    }

    private static NumberAxis axis(String label) {
        NumberAxis a = new NumberAxis(label);
        a.setLabelFont(FONT);
        a.setTickLabelFont(FONT);
        return a;
    }

    static final String OBJECTIVE = "objective, search split (higher is better)";

    /** Room around the data, so that points on the edge of the range are drawn whole; no forced zero. */
    private static NumberAxis margins(NumberAxis a) {
        a.setAutoRangeIncludesZero(false);
        a.setAutoRangeStickyZero(false);
        a.setLowerMargin(0.04);
        a.setUpperMargin(0.04);
        return a;
    }

    private static void style(XYPlot p) {
        p.setBackgroundPaint(Color.WHITE);
        p.setOutlinePaint(new Color(0xCCCCCC));
        p.setDomainGridlinePaint(new Color(0xE3E3E3));
        p.setRangeGridlinePaint(new Color(0xE3E3E3));
        p.setDomainGridlineStroke(new BasicStroke(0.8f));
        p.setRangeGridlineStroke(new BasicStroke(0.8f));
        for (int i = 0; i < p.getRangeAxisCount(); i++) if (p.getRangeAxis(i) != null) styleAxis(p.getRangeAxis(i));
        for (int i = 0; i < p.getDomainAxisCount(); i++) if (p.getDomainAxis(i) != null) styleAxis(p.getDomainAxis(i));
    }

    private static void styleAxis(ValueAxis a) {
        a.setAxisLinePaint(new Color(0x888888));
        a.setTickMarkPaint(new Color(0x888888));
    }

    static Shape circle(double r) { return new Ellipse2D.Double(-r, -r, 2 * r, 2 * r); }

    static Shape square(double r) { return new Rectangle2D.Double(-r, -r, 2 * r, 2 * r); }

    static Shape diamond(double r) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(0, -r);
        p.lineTo(r, 0);
        p.lineTo(0, r);
        p.lineTo(-r, 0);
        p.closePath();
        return p;
    }

    static Shape cross(double r) {
        double w = r / 3;
        Path2D.Double p = new Path2D.Double();
        p.moveTo(-r, -r + w); p.lineTo(-r + w, -r); p.lineTo(0, -w); p.lineTo(r - w, -r); p.lineTo(r, -r + w); p.lineTo(w, 0);
        p.lineTo(r, r - w); p.lineTo(r - w, r); p.lineTo(0, w); p.lineTo(-r + w, r); p.lineTo(-r, r - w); p.lineTo(-w, 0);
        p.closePath();
        return p;
    }

    /** What a metric is measured in, for axis labels. */
    static String unit(String metric) {
        String m = metric.toLowerCase(Locale.ROOT);
        if (m.equals("exact_match") || m.startsWith("acc") || m.startsWith("recall")) return "fraction of items, 0-1";
        if (m.equals("mrr")) return "mean reciprocal rank, 0-1";
        if (m.startsWith("ndcg")) return "nDCG, 0-1";
        if (m.equals("spearman")) return "Spearman rank correlation, -1 to 1";
        if (m.equals("ppl") || m.equals("perplexity")) return "perplexity, per token";
        return "score";
    }

    /** The unit in a few characters, for narrow axis labels. */
    static String shortUnit(String metric) {
        String u = unit(metric);
        int comma = u.lastIndexOf(", ");
        return comma >= 0 ? u.substring(comma + 2) : u;
    }

    /** Up to 4 significant digits, no exponent for ordinary scores: 0.9302, 12.5, -0.01322. */
    static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.4g", v);
        if (s.contains("e")) return s;
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Three decimals, as scores are printed everywhere else in Alloy. */
    static String num3(double v) { return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.3f", v); }

    /** A rank: whole when it is, else to one decimal (2.5). */
    static String rank(double r) {
        if (Double.isNaN(r)) return "-";
        return r == Math.rint(r) ? Long.toString((long) r) : String.format(Locale.ROOT, "%.1f", r);
    }

    private static String signed(double v) { return (v < 0 ? "- " : "+ ") + num(Math.abs(v)); }

    static String shorten(String s, int max) { return s.length() <= max ? s : s.substring(0, max - 1) + "\u2026"; }

    /** The last part of a path or Maven coordinate: what tells models apart in a narrow label. */
    static String lastPart(String model) {
        String m = model.endsWith("/") ? model.substring(0, model.length() - 1) : model;
        int i = Math.max(m.lastIndexOf('/'), m.lastIndexOf(':'));
        if (model.startsWith("maven:")) {
            String[] parts = model.split(":");
            return parts.length >= 3 ? parts[2] : m.substring(i + 1);
        }
        return i >= 0 && i < m.length() - 1 ? m.substring(i + 1) : m;
    }
}
