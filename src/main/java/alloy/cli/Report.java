package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Score;
import alloy.recipe.RecipeYaml;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.RankAgreement;
import alloy.eval.task.TaskKind;
import alloy.recipe.Recipe;
import alloy.results.Coefficient;
import alloy.results.Generation;
import alloy.results.ParetoPoint;
import alloy.results.RunInfo;
import alloy.results.RunWriter;
import alloy.search.Evolution;
import alloy.search.Journal;
import alloy.search.MergeCodec;
import alloy.search.SearchSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What an evolve run leaves beside its journal, and what it prints at the end. */
final class Report {

    private Report() {}

    /**
     * The run in the common results layout: every journalled score as candidate rows (search, held-out), the
     * generations, the winner's per-layer coefficients, and beside them winner.yaml, elites.csv and
     * comparisons.csv.
     */
    static void write(Path dir, RunInfo info, SearchSpec spec, MergeCodec codec, int layers, List<? extends Set<Integer>> groupLayers,
                      Evolution.Result r, List<Journal.Entry> journal) {
        try (RunWriter w = RunWriter.create(dir, info)) {
            Map<String, Recipe> recipes = new LinkedHashMap<>();
            for (Evolution.Scored s : r.elites()) if (s.recipe() != null) recipes.put(s.label(), s.recipe());
            for (Journal.Entry e : journal) {
                Recipe recipe = e.key().startsWith("model:") ? null : RecipeYaml.parse(e.key(), e.label(), spec.folder());
                String name = e.role().equals("heldout") && recipe != null && r.winner().recipe() != null
                        && RecipeYaml.write(recipe).equals(RecipeYaml.write(r.winner().recipe())) ? "winner (" + e.label() + ")" : e.label();
                Runs.scores(w, name, recipe, null, e.split(), e.results(), e.seconds());
            }
            for (Evolution.Generation g : r.generations()) w.generation(new Generation(g.generation(), g.scored(), g.best(), g.mean()));
            for (Evolution.Scored f : r.front()) {
                Map<String, Double> objs = new LinkedHashMap<>();
                for (TaskResult t : f.search()) objs.put(t.task(), r.objective().normalised(t));
                w.paretoPoint(new ParetoPoint(f.label(), objs));
            }
            StringBuilder el = new StringBuilder("rank,label,search_objective\n");
            int k = 1;
            for (Evolution.Scored e : r.elites()) el.append(String.format(Locale.ROOT, "%d,%s,%.6f%n", k++, csv(e.label()), e.objective()));
            w.text("elites.csv", el.toString());
            if (r.winner().recipe() != null) {
                w.text("winner.yaml", "# winner of alloy evolve (" + r.winner().label() + "), search objective "
                        + String.format(Locale.ROOT, "%.4f", r.winner().objective()) + "\n" + Runs.maskSeedNote(spec.randomSeed())
                        + RecipeYaml.write(Runs.relocated(r.winner().recipe(), dir)));
                for (Evolution.Coefficient c : Evolution.coefficients(r.winner().recipe(), codec, layers, groupLayers)) {
                    w.coefficient(new Coefficient(c.layer(), shorten(c.model()), c.parameter(), c.value()));
                }
            }
            if (!r.stopped()) {
                w.text("comparisons.csv", comparisonsCsv(r.comparisons()));
                w.finish();
            }
        }
    }

    static void print(Evolution.Result r, SearchSpec spec, Path dir) {
        System.out.println();
        System.out.println("objective: " + r.objective().describe());
        System.out.println("baselines (search split):");
        for (Evolution.Scored b : r.baselines()) {
            System.out.printf(Locale.ROOT, "  %-32s objective %.4f%s%n", shorten(b.label()), b.objective(), EvolveCommand.scores(b.search()));
        }
        if (!r.front().isEmpty()) {
            System.out.printf(Locale.ROOT, "Pareto front of the final generation (%d candidates; each task's score / best parent's):%n", r.front().size());
            for (Evolution.Scored f : r.front()) {
                StringBuilder b = new StringBuilder();
                for (TaskResult t : f.search()) b.append(String.format(Locale.ROOT, "  %s %.3f", t.task(), r.objective().normalised(t)));
                System.out.printf(Locale.ROOT, "  %-32s%s%n", shorten(f.label()), b);
            }
        }
        System.out.printf(Locale.ROOT, "elites of the final generation (search split), winner chosen on the %s split%s:%n", r.selection(),
                r.front().isEmpty() ? "" : " by the weighted objective among the front");
        for (Evolution.Scored e : r.elites()) {
            System.out.printf(Locale.ROOT, "  %-32s objective %.4f%s%s%n", shorten(e.label()), e.objective(), EvolveCommand.scores(e.search()),
                    e == r.winner() ? "  <- winner" : "");
        }
        if (r.stopped()) {
            System.out.printf(Locale.ROOT, "stopped after %d candidates; best so far: %s (search objective %.4f). Continue with: scripts/alloy evolve --resume %s%n",
                    r.scored(), r.winner().label(), r.winner().objective(), dir);
            return;
        }
        printHeldout(r.heldout(), r.comparisons(), "winner", "the uniform merge");
        System.out.printf(Locale.ROOT, "%d candidates scored; wrote %s (run.json, candidates.csv, winner.yaml, journal.jsonl, generations.csv, coefficients.csv, comparisons.csv)%n",
                r.scored(), dir);
    }

    /** comparisons.csv: one line per paired test of the chosen recipe against a reference on one task. */
    static String comparisonsCsv(List<Evolution.Comparison> comparisons) {
        StringBuilder cmp = new StringBuilder("against,task,metric,mean_diff,lower,upper,bootstrap_p,wins,losses,ties,sign_p,verdict\n");
        for (Evolution.Comparison c : comparisons) {
            var t = c.test();
            cmp.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%.6f,%.4f,%d,%d,%d,%.4f,%s%n", csv(c.against()), c.task(), t.metric(), t.meanDiff(),
                    t.lower(), t.upper(), t.bootstrapP(), t.wins(), t.losses(), t.ties(), t.signTestP(), t.significant() ? "real" : "within noise"));
        }
        return cmp.toString();
    }

    /** The held-out scores with intervals, then the paired tests of {@code chosen} against each reference. */
    static void printHeldout(Map<String, List<TaskResult>> heldout, List<Evolution.Comparison> comparisons, String chosen, String others) {
        System.out.println("held-out split (never used to choose), 95% bootstrap intervals:");
        for (Map.Entry<String, List<TaskResult>> e : heldout.entrySet()) {
            System.out.printf(Locale.ROOT, "  %-32s%s%n", shorten(e.getKey()), EvolveCommand.scores(e.getValue()));
        }
        System.out.println(chosen + " vs each parent and " + others + " (held-out, paired on the same items; the paired bootstrap decides, the sign test is shown beside it):");
        for (Evolution.Comparison c : comparisons) {
            System.out.printf(Locale.ROOT, "  vs %-28s %-22s %s%n", shorten(c.against()), c.task(), c.test().verdict("it", chosen));
        }
    }

    /**
     * proxy-check's numbers for the search's own candidates that were scored on both the search and the held-out
     * split (the parents, the uniform merge, the winner): how far the search split's ranking can be trusted.
     */
    static void agreement(Evolution.Result r) {
        if (r.stopped()) return;
        List<String> names = new ArrayList<>();
        List<List<TaskResult>> search = new ArrayList<>(), heldout = new ArrayList<>();
        for (Evolution.Scored b : r.baselines()) {
            names.add(shorten(b.label()));
            search.add(b.search());
            heldout.add(r.heldout().get(b.label()));
        }
        names.add("winner");
        search.add(r.winner().search());
        heldout.add(r.heldout().get("winner"));
        if (names.size() < 3 || heldout.stream().anyMatch(h -> h == null)) return;
        try {
            List<RankAgreement.SplitScores> splits = new ArrayList<>();
            for (var split : List.of(Map.entry("search", search), Map.entry("heldout", heldout))) {
                List<RankAgreement.TaskScores> tasks = new ArrayList<>();
                for (int t = 0; t < search.get(0).size(); t++) {
                    int task = t;
                    tasks.add(RankAgreement.TaskScores.ofMeans(search.get(0).get(t).task(),
                            TaskKind.higherIsBetter(search.get(0).get(t).primary().metric()),
                            split.getValue().stream().map(rs -> rs.get(task).primary()).toList()));
                }
                splits.add(new RankAgreement.SplitScores(split.getKey(), tasks));
            }
            System.out.println();
            System.out.println("how the search split ranks these candidates against the held-out split (as alloy proxy-check reports it):");
            System.out.print(RankAgreement.report(RankAgreement.of(names, splits, Bootstrap.defaults()), 0.01, "objective"));
        } catch (IllegalArgumentException e) {
            System.out.println("(no split agreement: " + e.getMessage() + ")");
        }
    }

    /** Maven coordinates and long paths are long: keep the tail that tells models apart. */
    static String shorten(String s) {
        String t = s.replaceFirst("^maven:dev\\.langchain4j:langchain4j-embeddings-", "").replaceFirst(":[0-9][^:]*$", "");
        if (t.contains("/")) t = Path.of(t).getFileName().toString();
        // cut in the middle: labels differ at the start ("evolve winner (...") and at the end (a run folder's suffix)
        return t.length() <= 32 ? t : t.substring(0, 14) + "..." + t.substring(t.length() - 15);
    }

    static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
