package alloy.report;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CrosshairState;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYDataset;

/**
 * JFreeChart's XY renderers with each data point wrapped in an SVG group ({@link SvgChart#begin}). JFreeChart
 * 1.5 groups items only in its bar renderers, so the point, heatmap and error-bar renderers are extended here.
 * Series whose name starts with {@link #LINE} are plain lines (a fitted curve) and get no marks.
 */
final class MarkedRenderers {
    private MarkedRenderers() {}

    /** Prefix of a series drawn as a line without marks. */
    static final String LINE = "line:";

    /** What a point's tooltip says. */
    @FunctionalInterface
    interface Titles {
        String title(XYDataset d, int series, int item);

        Titles XY = (d, s, i) -> d.getSeriesKey(s) + ": " + Plots.num(d.getXValue(s, i)) + ", " + Plots.num(d.getYValue(s, i));
    }

    static boolean marked(XYDataset d, int series) { return !d.getSeriesKey(series).toString().startsWith(LINE); }

    /** Points (and lines): one mark per point, drawn in the item pass. */
    static final class Points extends XYLineAndShapeRenderer {
        private final Titles titles;

        Points(boolean lines, boolean shapes, Titles titles) {
            super(lines, shapes);
            this.titles = titles;
        }

        @Override public void drawItem(Graphics2D g2, XYItemRendererState state, Rectangle2D dataArea, PlotRenderingInfo info, XYPlot plot,
                                       ValueAxis domainAxis, ValueAxis rangeAxis, XYDataset dataset, int series, int item,
                                       CrosshairState crosshair, int pass) {
            boolean group = isItemPass(pass) && marked(dataset, series) && getItemShapeVisible(series, item)
                    && Double.isFinite(dataset.getYValue(series, item));
            if (group) SvgChart.begin(g2, "mark", dataset.getSeriesKey(series).toString(), item, dataset.getXValue(series, item),
                    dataset.getYValue(series, item), titles.title(dataset, series, item));
            super.drawItem(g2, state, dataArea, info, plot, domainAxis, rangeAxis, dataset, series, item, crosshair, pass);
            if (group) SvgChart.end(g2);
        }
    }

    /** Points with interval whiskers: the whisker (first pass) and the point (item pass) are separate groups. */
    static final class Whiskers extends XYErrorRenderer {
        private final Titles titles;

        Whiskers(Titles titles) {
            this.titles = titles;
            setDefaultLinesVisible(false);
            setDefaultShapesVisible(true);
            setDrawYError(false);
            setDrawXError(true);
            setCapLength(6);
        }

        @Override public void drawItem(Graphics2D g2, XYItemRendererState state, Rectangle2D dataArea, PlotRenderingInfo info, XYPlot plot,
                                       ValueAxis domainAxis, ValueAxis rangeAxis, XYDataset dataset, int series, int item,
                                       CrosshairState crosshair, int pass) {
            String key = dataset.getSeriesKey(series).toString();
            boolean finite = Double.isFinite(dataset.getXValue(series, item));
            if (finite) {
                SvgChart.begin(g2, pass == 0 ? "whisker" : "mark", key, item, dataset.getXValue(series, item), dataset.getYValue(series, item),
                        titles.title(dataset, series, item));
            }
            super.drawItem(g2, state, dataArea, info, plot, domainAxis, rangeAxis, dataset, series, item, crosshair, pass);
            if (finite) SvgChart.end(g2);
        }
    }

    /** Heatmap cells: one mark per cell. */
    static final class Cells extends XYBlockRenderer {
        private final Titles titles;

        Cells(Titles titles) { this.titles = titles; }

        @Override public void drawItem(Graphics2D g2, XYItemRendererState state, Rectangle2D dataArea, PlotRenderingInfo info, XYPlot plot,
                                       ValueAxis domainAxis, ValueAxis rangeAxis, XYDataset dataset, int series, int item,
                                       CrosshairState crosshair, int pass) {
            SvgChart.begin(g2, "mark cell", dataset.getSeriesKey(series).toString(), item, dataset.getXValue(series, item),
                    dataset.getYValue(series, item), titles.title(dataset, series, item));
            super.drawItem(g2, state, dataArea, info, plot, domainAxis, rangeAxis, dataset, series, item, crosshair, pass);
            SvgChart.end(g2);
        }
    }
}
