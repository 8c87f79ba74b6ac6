package alloy.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The leaderboard as plain text for a terminal. Columns: rank, candidate, one per task, mean rank, run,
 * parameters; to fit the width (80 to 120 columns typically) it shortens intervals to ± half-widths, then
 * drops the parameters, then cuts the run and candidate names with a {@code ~}. Bold header and leader, dim
 * unranked lines, only when {@code color} is on, i.e. on a terminal, never when piped.
 */
public final class TerminalTable {
    private TerminalTable() {}

    private static final String BOLD = "\u001b[1m", DIM = "\u001b[2m", RESET = "\u001b[0m";

    public static String render(Leaderboard.Result r, int width, boolean color) {
        List<Leaderboard.Entry> shown = r.shown();
        StringBuilder out = new StringBuilder();
        String split = r.split().id();
        out.append(String.format(Locale.ROOT, "leaderboard: %d candidate(s) on the %s split%s%n", r.entries().size(),
                split.toUpperCase(Locale.ROOT).equals("HELDOUT") ? "held-out" : split.toUpperCase(Locale.ROOT), shown.size() < r.entries().size() ? ", top " + shown.size() + " shown" : ""));
        if (r.entries().isEmpty()) {
            out.append("no candidate has a ").append(split).append(" score").append(r.tasks().isEmpty() ? "" : " on " + r.tasks().stream().map(Leaderboard.TaskColumn::task).toList()).append('\n');
            for (String n : r.notes()) out.append(wrap(n, width, "  ")).append('\n');
            return out.toString();
        }
        List<String> metrics = r.tasks().stream().map(t -> t.task() + " " + t.metric() + " (" + t.direction().phrase() + ")").toList();
        List<String[]> rows = null;
        int[] widths = null;
        boolean compact = false, params = true;
        for (int layout = 0; layout < 3; layout++) {
            compact = layout > 0;
            params = layout < 2;
            rows = cells(r, shown, compact, params);
            widths = widths(rows);
            if (total(widths) <= width) break;
        }
        out.append(wrap("scores: " + String.join("; ", metrics) + "; each " + (compact ? "value ± half its 95% interval" : "value [95% interval]")
                + " (rank on the task)", width, "  ")).append('\n');
        int tasks = r.tasks().size(), runCol = 2 + tasks + 1;
        // Still too wide: cut the run names, then the candidate names, keeping enough to tell them apart.
        int over = total(widths) - width;
        int[][] cuts = {{runCol, 12}, {1, 16}};
        for (int[] c : cuts) {
            if (over <= 0) break;
            int cut = Math.min(over, Math.max(0, widths[c[0]] - c[1]));
            widths[c[0]] -= cut;
            over -= cut;
        }
        for (int i = 0; i < rows.size(); i++) {
            String[] row = rows.get(i);
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                String cell = fit(row[c], widths[c]);
                boolean right = c == 0 || (c >= 2 && c < runCol);
                String padded = right ? " ".repeat(widths[c] - cell.length()) + cell : cell + " ".repeat(widths[c] - cell.length());
                if (c > 0) line.append("  ");
                line.append(padded);
            }
            String text = line.toString().stripTrailing();
            if (color && (i == 0 || shown.get(i - 1).rank() == 1)) text = BOLD + text + RESET;
            else if (color && !shown.get(i - 1).ranked()) text = DIM + text + RESET;
            out.append(text).append('\n');
        }
        out.append(wrap(r.method(), width, "")).append('\n');
        for (String n : r.notes()) out.append(wrap(n, width, "")).append('\n');
        return out.toString();
    }

    private static List<String[]> cells(Leaderboard.Result r, List<Leaderboard.Entry> shown, boolean compact, boolean params) {
        List<String[]> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("#", "candidate"));
        for (Leaderboard.TaskColumn t : r.tasks()) head.add(t.task());
        head.add(r.tasks().size() == 1 ? "rank" : "mean rank");
        head.add("run");
        if (params) head.add("method params");
        rows.add(head.toArray(String[]::new));
        for (Leaderboard.Entry e : shown) {
            List<String> row = new ArrayList<>(List.of(e.ranked() ? Integer.toString(e.rank()) : "-", e.candidate()));
            for (Leaderboard.TaskColumn t : r.tasks()) {
                Leaderboard.Cell c = e.cells().get(t.task());
                if (c == null) { row.add("-"); continue; }
                String ci = Double.isNaN(c.low()) ? "" : compact
                        ? " ±" + Plots.num3((c.high() - c.low()) / 2)
                        : " [" + Plots.num3(c.low()) + ", " + Plots.num3(c.high()) + "]";
                row.add(Plots.num3(c.value()) + ci + " (" + Plots.rank(c.rank()) + ")");
            }
            row.add(Double.isNaN(e.meanRank()) ? "-" : String.format(Locale.ROOT, "%.2f", e.meanRank()));
            row.add(e.run());
            if (params) row.add(e.params().isEmpty() ? e.method() : e.method() + " " + e.params());
            rows.add(row.toArray(String[]::new));
        }
        return rows;
    }

    private static int[] widths(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        return w;
    }

    private static int total(int[] w) {
        int t = 2 * (w.length - 1);
        for (int x : w) t += x;
        return t;
    }

    private static String fit(String s, int w) { return s.length() <= w ? s : s.substring(0, Math.max(0, w - 1)) + "~"; }

    /** Words wrapped to {@code width}, continuation lines indented by {@code indent}. */
    static String wrap(String text, int width, String indent) {
        StringBuilder out = new StringBuilder(), line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && !line.toString().equals(indent) && line.length() + 1 + word.length() > width) {
                out.append(line).append('\n');
                line.setLength(0);
                line.append(indent);
            }
            if (!line.isEmpty() && !line.toString().equals(indent)) line.append(' ');
            line.append(word);
        }
        return out.append(line).toString();
    }
}
