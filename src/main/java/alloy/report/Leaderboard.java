package alloy.report;

import alloy.results.CandidateRow;
import alloy.results.Direction;
import alloy.results.Run;
import alloy.results.RunKind;
import alloy.results.Split;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Ranks the candidates of many runs, per task and overall, on one split (held-out unless asked otherwise).
 *
 * <p>Every run's candidates.csv rows go into one long Tablesaw table; the rows of the chosen split and of each
 * task's primary metric are selected from it, each task is ranked on its own (1 = best; tied values share the
 * average of the ranks they span, NaN ranks last), and the overall rank orders candidates by the mean of their
 * task ranks. Ranks rather than normalised scores, because the tasks' metrics live on different scales (MRR,
 * exact match, perplexity) and ranks need no choice of scale; the price is that ranks ignore margins, which the
 * intervals beside each score show. A candidate is a (run, candidate) pair: the same recipe scored by two runs
 * appears twice, with each run's numbers.
 */
public final class Leaderboard {

    /**
     * @param tasks   tasks to rank on, in column order; empty for every task scored on the split
     * @param metrics task to metric, overriding the primary metric from run.json
     * @param top     how many entries {@link Result#shown()} keeps; 0 for all
     */
    public record Options(List<String> tasks, Split split, Map<String, String> metrics, int top) {
        public Options {
            tasks = List.copyOf(tasks);
            Objects.requireNonNull(split, "split");
            metrics = Map.copyOf(metrics);
            if (top < 0) throw new IllegalArgumentException("--top must be >= 0, got " + top);
        }

        public static Options defaults() { return new Options(List.of(), Split.HELDOUT, Map.of(), 0); }
    }

    /** A ranked column: one task on its primary metric. */
    public record TaskColumn(String task, String metric, Direction direction) {}

    /** One candidate's score on one task, with its rank among the candidates that have it. */
    public record Cell(double value, double low, double high, int n, double rank) {}

    /**
     * One line of the leaderboard.
     *
     * @param rank     overall rank, 1 = best (equal mean ranks share a rank); 0 when a task is missing
     * @param meanRank mean of the task ranks over the tasks it has
     * @param cells    task to cell, for the tasks it was scored on
     */
    public record Entry(int rank, String candidate, String run, RunKind kind, String method, String params, String recipeHash,
                        double meanRank, Map<String, Cell> cells) {
        public boolean ranked() { return rank > 0; }
    }

    /**
     * @param entries every entry, ranked ones first in rank order
     * @param table   the same as a Tablesaw table (one column per task value, interval, n and rank), for leaderboard.csv
     * @param notes   how the ranking was made and what was left out, one sentence each
     */
    public record Result(Split split, List<TaskColumn> tasks, List<Entry> entries, int top, Table table, List<String> notes) {
        /** The entries to show: the first {@code top}, or all. */
        public List<Entry> shown() { return top == 0 || top >= entries.size() ? entries : entries.subList(0, top); }

        /** One sentence that says how the overall rank is made. */
        public String method() {
            return tasks.size() == 1
                    ? "Rank: by " + tasks.get(0).task() + " " + tasks.get(0).metric() + " (" + tasks.get(0).direction().phrase() + ")."
                    : "Overall rank: the mean of the " + tasks.size() + " per-task ranks (1 = best on that task; tied scores share the average rank); "
                      + "ranks, not scores, are averaged because the metrics differ in scale. A candidate missing a task is listed unranked.";
        }

        public void writeCsv(Path file) {
            // Tablesaw's writer (univocity) quotes fields with commas, quotes or line breaks, as candidates.csv does.
            table.write().csv(file.toFile());
        }
    }

    private record Scored(String run, String kind, String candidate, String method, String params, String recipeHash,
                          double value, double low, double high, int n) {}

    private Leaderboard() {}

    public static Result build(List<Run> runs, Options o) {
        Table rows = longTable(runs);
        List<String> notes = new ArrayList<>();
        Table onSplit = rows.where(rows.stringColumn("split").isEqualTo(o.split().id()));
        if (o.split() != Split.HELDOUT) {
            notes.add("Ranked on the " + o.split().id().toUpperCase(Locale.ROOT) + " split: candidates were chosen on these items, so their scores are "
                      + "optimistic; rank on the held-out split (the default) for numbers to report.");
        } else {
            notes.add("Scores are on the held-out split, which no candidate was chosen on.");
        }

        List<String> taskNames = new ArrayList<>(o.tasks());
        if (taskNames.isEmpty()) taskNames.addAll(new LinkedHashSet<>(onSplit.stringColumn("task").asList()));
        List<TaskColumn> tasks = new ArrayList<>();
        for (String t : taskNames) {
            String m = primaryMetric(t, runs, rows, o, notes);
            tasks.add(new TaskColumn(t, m, Direction.of(m)));
        }

        // Every score per task, by (run, candidate), the later line standing when a run scored a candidate twice.
        int duplicates = 0;
        List<Map<List<String>, Scored>> perTask = new ArrayList<>();
        for (TaskColumn tc : tasks) {
            Table sel = onSplit.where(onSplit.stringColumn("task").isEqualTo(tc.task()).and(onSplit.stringColumn("metric").isEqualTo(tc.metric())));
            // Tablesaw's row iterator is one cursor that moves: copy each row's values out before the next.
            Map<List<String>, Scored> last = new LinkedHashMap<>();
            for (Row r : sel) {
                Scored x = new Scored(r.getString("run"), r.getString("kind"), r.getString("candidate"), r.getString("method"), r.getString("params"),
                        r.getString("recipe_hash"), r.getDouble("value"), r.getDouble("low"), r.getDouble("high"), r.getInt("n"));
                if (last.put(List.of(x.run(), x.candidate()), x) != null) duplicates++;
            }
            perTask.add(last);
        }
        // The same candidate in several runs (a parent in an evolve and in a soup, scored on the same items) is one
        // row naming every run: same name, method and recipe, and the same numbers on every task.
        Map<List<String>, List<String>> sameAs = new LinkedHashMap<>();   // kept key -> runs it stands for
        Map<List<String>, List<String>> keptFor = new LinkedHashMap<>();
        Map<List<Object>, List<String>> byIdentity = new LinkedHashMap<>();
        for (Map<List<String>, Scored> last : perTask) {
            for (List<String> key : last.keySet()) {
                if (keptFor.containsKey(key)) continue;
                Scored x = last.get(key);
                List<Object> identity = new ArrayList<>(List.of(x.candidate(), x.method(), x.recipeHash()));
                for (Map<List<String>, Scored> t : perTask) {
                    Scored y = t.get(key);
                    identity.add(y == null ? "-" : List.of(y.value(), y.low(), y.high(), y.n()));
                }
                List<String> kept = byIdentity.putIfAbsent(identity, key);
                keptFor.put(key, kept == null ? key : kept);
                sameAs.computeIfAbsent(kept == null ? key : kept, k -> new ArrayList<>()).add(key.get(0));
            }
        }
        int merged = keptFor.size() - sameAs.size();
        if (merged > 0) notes.add(merged + " row(s) repeated a candidate already listed from another run, with the same scores, and are folded into it.");

        // kept (run, candidate) -> its row facts and cells, in order of first appearance.
        Map<List<String>, Entry> byKey = new LinkedHashMap<>();
        Map<List<String>, Map<String, Cell>> cells = new LinkedHashMap<>();
        for (int t = 0; t < tasks.size(); t++) {
            TaskColumn tc = tasks.get(t);
            Map<List<String>, Scored> last = perTask.get(t);
            List<List<String>> keys = last.keySet().stream().filter(k -> keptFor.get(k).equals(k)).toList();
            double[] values = keys.stream().mapToDouble(k -> last.get(k).value()).toArray();
            double[] ranks = ranks(values, tc.direction());
            for (int i = 0; i < keys.size(); i++) {
                Scored x = last.get(keys.get(i));
                String run = String.join(", ", sameAs.get(keys.get(i)));
                byKey.putIfAbsent(keys.get(i), new Entry(0, x.candidate(), run, RunKind.parse(x.kind()), x.method(), x.params(), x.recipeHash(), Double.NaN, Map.of()));
                cells.computeIfAbsent(keys.get(i), k -> new LinkedHashMap<>()).put(tc.task(), new Cell(x.value(), x.low(), x.high(), x.n(), ranks[i]));
            }
        }
        if (duplicates > 0) notes.add(duplicates + " score(s) appeared twice for the same run, candidate, split and task; the later line was used.");

        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<List<String>, Entry> e : byKey.entrySet()) {
            Map<String, Cell> c = cells.get(e.getKey());
            double mean = c.values().stream().mapToDouble(Cell::rank).average().orElse(Double.NaN);
            Entry x = e.getValue();
            entries.add(new Entry(0, x.candidate(), x.run(), x.kind(), x.method(), x.params(), x.recipeHash(), mean, Map.copyOf(c)));
        }
        List<Entry> complete = entries.stream().filter(e -> e.cells().size() == tasks.size()).toList();
        double[] means = complete.stream().mapToDouble(Entry::meanRank).toArray();
        List<Entry> ranked = new ArrayList<>();
        for (Entry e : complete) {
            int better = 0;
            for (double m : means) if (m < e.meanRank() - 1e-9) better++;
            ranked.add(new Entry(better + 1, e.candidate(), e.run(), e.kind(), e.method(), e.params(), e.recipeHash(), e.meanRank(), e.cells()));
        }
        ranked.sort(Comparator.comparingInt(Entry::rank).thenComparing(Entry::run).thenComparing(Entry::candidate));
        List<Entry> partial = entries.stream().filter(e -> e.cells().size() < tasks.size())
                .sorted(Comparator.comparingInt((Entry e) -> -e.cells().size()).thenComparingDouble(Entry::meanRank)).toList();
        if (!partial.isEmpty()) notes.add(partial.size() + " candidate(s) lack a score on some task and are listed unranked, after the others.");
        List<Entry> all = new ArrayList<>(ranked);
        all.addAll(partial);

        Set<List<String>> everywhere = new LinkedHashSet<>();
        for (Row r : rows) everywhere.add(List.of(r.getString("run"), r.getString("candidate")));
        int elsewhere = everywhere.size() - keptFor.size();
        if (elsewhere > 0) {
            notes.add(elsewhere + " candidate(s) have no " + o.split().id() + " score on these tasks and are not listed"
                      + (o.split() == Split.HELDOUT ? " (--split search lists what the searches tried)." : "."));
        }
        for (Run r : runs) for (String w : r.warnings()) notes.add(w);
        for (Run r : runs) if (!r.finished()) notes.add("Run " + r.id() + " did not finish (no finished time in run.json): its scores are what it wrote before it stopped.");
        return new Result(o.split(), List.copyOf(tasks), List.copyOf(all), o.top(), wideTable(all, tasks, o.split()), List.copyOf(notes));
    }

    /**
     * Ranks with ties: 1 for the best value, tied values share the mean of the ranks they span (so ranks always
     * sum to n(n+1)/2), and NaN values share the ranks after every number.
     */
    static double[] ranks(double[] values, Direction dir) {
        int n = values.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            double x = values[a], y = values[b];
            if (Double.isNaN(x) || Double.isNaN(y)) return Boolean.compare(Double.isNaN(x), Double.isNaN(y));
            return dir == Direction.HIGHER_IS_BETTER ? Double.compare(y, x) : Double.compare(x, y);
        });
        double[] rank = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && same(values[order[j + 1]], values[order[i]])) j++;
            double shared = (i + 1 + j + 1) / 2.0;
            for (int k = i; k <= j; k++) rank[order[k]] = shared;
            i = j + 1;
        }
        return rank;
    }

    private static boolean same(double a, double b) { return Double.isNaN(a) ? Double.isNaN(b) : a == b; }

    /**
     * The metric a task is ranked on: the --metric override, else the one run.json names, else the first metric
     * written for the task (commands write the primary metric first).
     */
    private static String primaryMetric(String task, List<Run> runs, Table rows, Options o, List<String> notes) {
        if (o.metrics().containsKey(task)) return o.metrics().get(task);
        Set<String> named = new LinkedHashSet<>();
        for (Run r : runs) if (r.info().metrics().containsKey(task)) named.add(r.info().metrics().get(task));
        if (named.size() > 1) notes.add("Runs disagree on the primary metric of " + task + " " + named + "; ranked on " + named.iterator().next() + " (--metric " + task + "=... to choose).");
        if (!named.isEmpty()) return named.iterator().next();
        Table t = rows.where(rows.stringColumn("task").isEqualTo(task));
        if (t.rowCount() == 0) throw new IllegalArgumentException("no run has scores for task " + task + "; tasks found: "
                + new LinkedHashSet<>(rows.stringColumn("task").asList()));
        return t.stringColumn("metric").get(0);
    }

    /** Every candidates.csv row of every run, with the run's id and kind, as one Tablesaw table. */
    static Table longTable(List<Run> runs) {
        StringColumn run = StringColumn.create("run"), kind = StringColumn.create("kind"), cand = StringColumn.create("candidate"),
                hash = StringColumn.create("recipe_hash"), method = StringColumn.create("method"), params = StringColumn.create("params"),
                split = StringColumn.create("split"), task = StringColumn.create("task"), metric = StringColumn.create("metric");
        DoubleColumn value = DoubleColumn.create("value"), low = DoubleColumn.create("low"), high = DoubleColumn.create("high"),
                seconds = DoubleColumn.create("seconds");
        IntColumn n = IntColumn.create("n");
        for (Run r : runs) {
            for (CandidateRow c : r.candidates()) {
                run.append(r.id());
                kind.append(r.kind().id());
                cand.append(c.candidate());
                hash.append(c.recipeHash());
                method.append(c.method());
                params.append(c.params());
                split.append(c.split().id());
                task.append(c.task());
                metric.append(c.metric());
                value.append(c.value());
                low.append(c.low());
                high.append(c.high());
                n.append(c.n());
                seconds.append(c.seconds());
            }
        }
        return Table.create("candidates", run, kind, cand, hash, method, params, split, task, metric, value, low, high, n, seconds);
    }

    /** The leaderboard as one row per entry, for leaderboard.csv. */
    private static Table wideTable(List<Entry> entries, List<TaskColumn> tasks, Split split) {
        IntColumn rank = IntColumn.create("rank");
        StringColumn cand = StringColumn.create("candidate"), run = StringColumn.create("run"), kind = StringColumn.create("kind"),
                method = StringColumn.create("method"), params = StringColumn.create("params"), hash = StringColumn.create("recipe_hash"),
                sp = StringColumn.create("split");
        DoubleColumn mean = DoubleColumn.create("mean_rank");
        Table t = Table.create("leaderboard", rank, cand, run, kind, method, params, hash, sp, mean);
        List<DoubleColumn[]> per = new ArrayList<>();
        for (TaskColumn tc : tasks) {
            String p = tc.task() + "." + tc.metric() + ".";
            DoubleColumn[] cs = {DoubleColumn.create(p + "value"), DoubleColumn.create(p + "low"), DoubleColumn.create(p + "high"),
                    DoubleColumn.create(p + "rank")};
            IntColumn ncol = IntColumn.create(p + "n");
            t.addColumns(cs[0], cs[1], cs[2], ncol, cs[3]);
            per.add(cs);
        }
        for (Entry e : entries) {
            if (e.ranked()) rank.append(e.rank()); else rank.appendMissing();
            cand.append(e.candidate());
            run.append(e.run());
            kind.append(e.kind().id());
            method.append(e.method());
            params.append(e.params());
            hash.append(e.recipeHash());
            sp.append(split.id());
            mean.append(e.meanRank());
            for (int i = 0; i < tasks.size(); i++) {
                Cell c = e.cells().get(tasks.get(i).task());
                DoubleColumn[] cs = per.get(i);
                IntColumn ncol = t.intColumn(tasks.get(i).task() + "." + tasks.get(i).metric() + ".n");
                if (c == null) {
                    for (DoubleColumn d : cs) d.appendMissing();
                    ncol.appendMissing();
                } else {
                    cs[0].append(c.value());
                    cs[1].append(c.low());
                    cs[2].append(c.high());
                    cs[3].append(c.rank());
                    ncol.append(c.n());
                }
            }
        }
        return t;
    }
}
