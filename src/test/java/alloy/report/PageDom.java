package alloy.report;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the parts of a leaderboard page the tests check, from the page's text or from the DOM a browser
 * serialised: the table's rows and, per figure, its kind, run and data-point marks.
 */
final class PageDom {
    record Figure(String plot, String run, List<String> markSeries, int whiskers, String svg) {
        int marks() { return markSeries.size(); }

        long marks(String series) { return markSeries.stream().filter(series::equals).count(); }
    }

    record Row(String candidate, String run) {}

    private static final Pattern FIGURE = Pattern.compile("<figure\\b([^>]*)>(.*?)</figure>", Pattern.DOTALL);
    private static final Pattern ATTR = Pattern.compile("([\\w:-]+)=[\"']([^\"']*)[\"']");
    private static final Pattern G = Pattern.compile("<g\\b([^>]*)>");
    private static final Pattern ROW = Pattern.compile("<tr\\b([^>]*data-candidate[^>]*)>");

    static String attr(String attrs, String name) {
        Matcher m = ATTR.matcher(attrs);
        while (m.find()) if (m.group(1).equals(name)) return unescape(m.group(2));
        return null;
    }

    static List<Figure> figures(String html) {
        List<Figure> out = new ArrayList<>();
        Matcher m = FIGURE.matcher(html);
        while (m.find()) {
            List<String> series = new ArrayList<>();
            int whiskers = 0;
            Matcher g = G.matcher(m.group(2));
            while (g.find()) {
                String cls = attr(g.group(1), "class");
                if (cls == null) continue;
                List<String> classes = List.of(cls.split("\\s+"));
                if (classes.contains("mark")) series.add(attr(g.group(1), "data-series"));
                if (classes.contains("whisker")) whiskers++;
            }
            String run = attr(m.group(1), "data-run");
            out.add(new Figure(attr(m.group(1), "data-plot"), run == null ? "" : run, series, whiskers, m.group(2)));
        }
        return out;
    }

    /** The rows of table#leaderboard. */
    static List<Row> rows(String html) {
        int start = html.indexOf("id=\"leaderboard\"");
        if (start < 0) return List.of();
        int end = html.indexOf("</table>", start);
        List<Row> out = new ArrayList<>();
        Matcher m = ROW.matcher(html.substring(start, end));
        while (m.find()) out.add(new Row(attr(m.group(1), "data-candidate"), attr(m.group(1), "data-run")));
        return out;
    }

    private static String unescape(String s) {
        return s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }
}
