package alloy.cli;

import alloy.report.HtmlReport;
import alloy.report.Leaderboard;
import alloy.report.Markdown;
import alloy.report.RunFinder;
import alloy.report.TerminalTable;
import alloy.results.Run;
import alloy.results.RunReader;
import alloy.results.Split;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "leaderboard", mixinStandardHelpOptions = true,
        description = {"Rank the candidates of every run directory given (or found under a folder) per task and overall,",
                "on the held-out split unless told otherwise; print the table and write leaderboard.csv, .md and .html."})
public final class LeaderboardCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "RESULTS", description = "run directories or folders of them (default: results)")
    List<Path> paths = new ArrayList<>();

    @Option(names = "--tasks", split = ",", description = "tasks to rank on, in column order (default: every task scored on the split)")
    List<String> tasks = new ArrayList<>();

    @Option(names = "--split", defaultValue = "heldout", description = "split to rank on: heldout (default), validation or search")
    String split;

    @Option(names = "--metric", split = ",", description = "task=metric to rank a task on, overriding the primary metric, e.g. skill-choice=acc_norm")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--top", defaultValue = "0", description = "show only the first N in the terminal, Markdown, HTML table and plot (the CSV keeps all)")
    int top;

    @Option(names = "--out", description = "folder for leaderboard.csv/.md/.html (default: results/leaderboard)")
    Path out;

    @Option(names = "--width", description = "terminal width (default: $COLUMNS, else 100)")
    Integer width;

    @Override public Integer call() throws Exception {
        List<Path> dirs = RunFinder.find(paths.isEmpty() ? List.of(Path.of("results")) : paths);
        if (dirs.isEmpty()) throw new IllegalArgumentException("no run directory (a folder with run.json) under " + (paths.isEmpty() ? "results" : paths));
        Path outDir = out != null ? out : Path.of("results", "leaderboard");
        List<Run> runs = new ArrayList<>();
        for (Path d : dirs) runs.add(RunReader.read(d));
        Map<String, String> metricMap = new LinkedHashMap<>();
        for (String m : metrics) {
            int eq = m.indexOf('=');
            if (eq <= 0 || eq == m.length() - 1) throw new IllegalArgumentException("--metric " + m + ": expected task=metric");
            metricMap.put(m.substring(0, eq), m.substring(eq + 1));
        }
        Leaderboard.Result r = Leaderboard.build(runs, new Leaderboard.Options(tasks, Split.parse(split), metricMap, top));

        var console = System.console();
        boolean tty = console != null && console.isTerminal() && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
        System.out.print(TerminalTable.render(r, terminalWidth(), tty));

        Files.createDirectories(outDir);
        r.writeCsv(outDir.resolve("leaderboard.csv"));
        Files.writeString(outDir.resolve("leaderboard.md"), markdown(r, runs), StandardCharsets.UTF_8);
        HtmlReport.write(outDir.resolve("leaderboard.html"), r, runs);
        System.out.println("wrote " + outDir.resolve("leaderboard.csv") + ", leaderboard.md and leaderboard.html (" + runs.size() + " run(s))");
        return 0;
    }

    private int terminalWidth() {
        if (width != null) return Math.max(40, width);
        try {
            return Math.max(40, Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100").strip()));
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    static String markdown(Leaderboard.Result r, List<Run> runs) {
        Markdown md = new Markdown();
        md.heading(1, "Alloy leaderboard (" + (r.split() == Split.HELDOUT ? "held-out" : r.split().id()) + " split)");
        md.paragraph(r.method());
        md.bullets(r.notes());
        List<String> head = new ArrayList<>(List.of("#", "candidate", "run", "method", "params"));
        List<Markdown.Align> align = new ArrayList<>(List.of(Markdown.Align.RIGHT, Markdown.Align.LEFT, Markdown.Align.LEFT, Markdown.Align.LEFT, Markdown.Align.LEFT));
        for (Leaderboard.TaskColumn t : r.tasks()) {
            head.add(t.task() + " " + t.metric() + " [95% CI] (rank)");
            align.add(Markdown.Align.RIGHT);
        }
        head.add(r.tasks().size() == 1 ? "rank" : "mean rank");
        align.add(Markdown.Align.RIGHT);
        List<List<String>> rows = new ArrayList<>();
        for (Leaderboard.Entry e : r.shown()) {
            List<String> row = new ArrayList<>(List.of(e.ranked() ? Integer.toString(e.rank()) : "-", e.candidate(), e.run(), e.method(), e.params()));
            for (Leaderboard.TaskColumn t : r.tasks()) {
                Leaderboard.Cell c = e.cells().get(t.task());
                row.add(c == null ? "-" : String.format(Locale.ROOT, "%.3f [%.3f, %.3f] (%s)", c.value(), c.low(), c.high(),
                        c.rank() == Math.rint(c.rank()) ? Long.toString((long) c.rank()) : String.format(Locale.ROOT, "%.1f", c.rank())));
            }
            row.add(Double.isNaN(e.meanRank()) ? "-" : String.format(Locale.ROOT, "%.2f", e.meanRank()));
            rows.add(row);
        }
        md.table(head, align, rows);
        if (r.shown().size() < r.entries().size()) md.paragraph("First " + r.shown().size() + " of " + r.entries().size() + " shown; leaderboard.csv has them all.");
        md.heading(2, "Runs");
        md.table(List.of("run", "kind", "command", "finished"), List.of(Markdown.Align.LEFT, Markdown.Align.LEFT, Markdown.Align.LEFT, Markdown.Align.LEFT),
                runs.stream().map(x -> List.of(x.id(), x.kind().id(), x.info().commandLine(), x.info().finished().map(Object::toString).orElse("did not finish"))).toList());
        return md.toString();
    }
}
