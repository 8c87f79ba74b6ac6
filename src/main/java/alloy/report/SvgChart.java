package alloy.report;

import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGHints;
import org.jfree.svg.ViewBox;

/**
 * A JFreeChart drawn as inline SVG text, and the group hints that make each data point of it one
 * {@code <g class="mark" data-series=... data-item=...>} element with a {@code <title>} tooltip, so that a reader
 * hovers over a point to see its numbers and a test counts the points. The only class that knows JFreeSVG:
 * swapping the SVG backend touches this file alone.
 */
final class SvgChart {
    private SvgChart() {}

    /**
     * The chart as an {@code <svg>} element {@code width} x {@code height} user units that scales with its
     * container. {@code id} prefixes every id inside (clip paths), since several charts share one page.
     */
    static String render(JFreeChart chart, int width, int height, String id) {
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        g.setDefsKeyPrefix(id + "-");
        // Two decimals of a user unit are far below a pixel; the default full precision doubles the file size.
        g.setGeomDoubleConverter(v -> String.format(Locale.ROOT, "%.2f", v));
        g.setTransformDoubleConverter(v -> String.format(Locale.ROOT, "%.4f", v));
        chart.draw(g, new Rectangle(0, 0, width, height));
        return g.getSVGElement(id, false, new ViewBox(0, 0, width, height), null, null);
    }

    /** Opens a mark group: everything drawn until {@link #end} belongs to one data point. */
    static void begin(Graphics2D g2, String cssClass, String series, int item, double x, double y, String title) {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("class", cssClass);
        attrs.put("data-series", series);
        attrs.put("data-item", Integer.toString(item));
        if (Double.isFinite(x)) attrs.put("data-x", Double.toString(x));
        if (Double.isFinite(y)) attrs.put("data-y", Double.toString(y));
        g2.setRenderingHint(SVGHints.KEY_BEGIN_GROUP, attrs);
        if (title != null && !title.isEmpty()) g2.setRenderingHint(SVGHints.KEY_ELEMENT_TITLE, title);
    }

    static void end(Graphics2D g2) {
        g2.setRenderingHint(SVGHints.KEY_END_GROUP, "end");
    }
}
