package alloy.cli;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.embed.EmbeddingScorer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.ItemStatistic;
import alloy.eval.stats.RankAgreement;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.eval.task.TaskKind;
import alloy.eval.task.Weighting;
import alloy.io.Checkpoint;
import alloy.recipe.MergeRun;
import alloy.search.Candidate;
import alloy.search.CandidateScorer;
import alloy.tensor.Kernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "proxy-check", mixinStandardHelpOptions = true,
        description = {"Score a set of candidates on every split of proxy sets and say whether the splits agree on their ranking:",
                "Spearman and Kendall tau-b between split rankings with bootstrap intervals, the smallest difference each split",
                "resolves, and whether it separates candidates --delta apart."})
final class ProxyCheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "TASKS", description = "proxy sets, comma-separated (names under proxy-tasks/ or folders)")
    String tasks;

    @Option(names = "--candidates", required = true, split = ",", arity = "1..*", paramLabel = "RUN_OR_RECIPES",
            description = "models, .yaml recipes (merged in memory), or folders whose .yaml/.yml files are all candidates; at least three")
    List<String> candidates;

    @Option(names = "--profile", description = "encoder pooling profile: bge, bge-noinstruct, e5, minilm, or pooling=cls|mean,...")
    String profile;

    @Option(names = "--splits", split = ",", description = "splits to score (default: every split all the sets have)")
    List<String> splits;

    @Option(names = "--delta", defaultValue = "0.01", description = "difference the verdict asks about, in the objective's units (default: ${DEFAULT-VALUE})")
    double delta;

    @Option(names = "--top", defaultValue = "0", description = "also report agreement among the best K candidates on the first split (0: no)")
    int top;

    @Option(names = "--weighting", description = "items or domains: override how the sets average their items")
    String weighting;

    @Option(names = "--resamples", defaultValue = "2000", description = "bootstrap replicates (default: ${DEFAULT-VALUE})")
    int resamples;

    @Option(names = "--seed", defaultValue = "20260101", description = "bootstrap seed (default: ${DEFAULT-VALUE})")
    long bootstrapSeed;

    @Option(names = "--random-seed", defaultValue = "0", description = "seed for random merge methods in recipes")
    long seed;

    @Option(names = "--csv", description = "write each candidate's objective on each split to this CSV file")
    Path csv;

    @Override public Integer call() {
        List<ProxyTask> sets = Tasks.resolve(tasks);
        if (weighting != null) {
            Weighting w = Weighting.parse(weighting);
            sets = sets.stream().map(t -> t.withWeighting(w)).toList();
        }
        List<Split> chosen = chosenSplits(sets);
        List<String> refs = expand(candidates);
        if (refs.size() < 3) throw new IllegalArgumentException("--candidates: rank agreement needs at least three candidates, found " + refs.size());
        System.out.printf(Locale.ROOT, "%d candidates on %s, splits %s%n", refs.size(), sets.stream().map(ProxyTask::name).toList(), chosen);

        // stats[split][task][candidate]
        List<List<List<ItemStatistic>>> stats = new ArrayList<>();
        for (Split s : chosen) {
            List<List<ItemStatistic>> perTask = new ArrayList<>();
            for (ProxyTask t : sets) perTask.add(new ArrayList<>());
            stats.add(perTask);
        }
        List<ProxyTask> finalSets = sets;
        long start = System.nanoTime();
        MergeRun.Options opt = new MergeRun.Options(seed, MergeRun.Options.defaults().threads(), Kernels.fast());
        try (CandidateScorer scorer = CandidateScorer.forTasks(finalSets, Optional.ofNullable(profile), opt)) {
            for (int c = 0; c < refs.size(); c++) {
                String ref = refs.get(c);
                String line = scorer.withBuilt(Candidate.parse(ref), (built, sc) -> {
                    StringBuilder l = new StringBuilder();
                    for (int si = 0; si < chosen.size(); si++) {
                        List<ItemStatistic> measured = measure(sc, built, chosen.get(si), finalSets);
                        double objective = 0;
                        for (int t = 0; t < finalSets.size(); t++) {
                            stats.get(si).get(t).add(measured.get(t));
                            double v = measured.get(t).value();
                            objective += higherIsBetter(finalSets.get(t)) ? v : -v;
                        }
                        l.append(String.format(Locale.ROOT, "  %s %.4f", chosen.get(si), objective / finalSets.size()));
                    }
                    return l.toString();
                });
                System.out.printf(Locale.ROOT, "[%d/%d %.0fs] %s%s%n", c + 1, refs.size(), (System.nanoTime() - start) / 1e9, ref, line);
            }
        }

        List<RankAgreement.SplitScores> splitScores = new ArrayList<>();
        for (int si = 0; si < chosen.size(); si++) {
            List<RankAgreement.TaskScores> ts = new ArrayList<>();
            for (int t = 0; t < sets.size(); t++) ts.add(new RankAgreement.TaskScores(sets.get(t).name(), higherIsBetter(sets.get(t)), stats.get(si).get(t)));
            splitScores.add(new RankAgreement.SplitScores(chosen.get(si).key(), ts));
        }
        RankAgreement.Result result = RankAgreement.of(refs, splitScores, new Bootstrap(resamples, bootstrapSeed));
        String unit = sets.size() == 1 ? sets.getFirst().manifest().metric() : "objective";
        System.out.println();
        System.out.print(RankAgreement.report(result, delta, unit));
        if (top > 0 && top < refs.size()) {
            int k = Math.max(3, top);
            RankAgreement.Result best = result.among(result.top(chosen.getFirst().key(), k));
            System.out.println();
            System.out.printf(Locale.ROOT, "among the %d best on %s:%n", k, chosen.getFirst());
            System.out.print(RankAgreement.report(best, delta, unit));
        }
        if (csv != null) writeCsv(result);
        return 0;
    }

    /** Each set's primary metric on {@code split} as a resamplable statistic, in set order. */
    private static List<ItemStatistic> measure(Scorer scorer, Checkpoint built, Split split, List<ProxyTask> sets) {
        if (scorer instanceof EmbeddingScorer e) return e.measure(built, split).stream().map(EmbeddingScorer.Measured::primary).toList();
        List<ItemStatistic> out = new ArrayList<>();
        for (TaskResult r : scorer.score(built, split)) {
            if (!r.primary().hasItems()) {
                throw new IllegalArgumentException(r.task() + ": " + r.primary().metric() + " is a whole-set statistic this scorer does not resample; "
                        + "proxy-check needs per-item values");
            }
            out.add(ItemStatistic.mean(r.primary().items()));
        }
        return out;
    }

    private static boolean higherIsBetter(ProxyTask t) { return TaskKind.higherIsBetter(t.manifest().metric()); }

    private List<Split> chosenSplits(List<ProxyTask> sets) {
        List<Split> out = new ArrayList<>();
        if (splits != null) {
            for (String s : splits) out.add(Split.parse(s.strip()));
        } else {
            for (Split s : Split.values()) if (sets.stream().allMatch(t -> t.has(s))) out.add(s);
        }
        for (Split s : out) {
            for (ProxyTask t : sets) {
                if (!t.has(s)) throw new IllegalArgumentException("--splits: proxy set " + t.name() + " has no " + s + " split (it has " + t.splits() + ")");
            }
        }
        if (out.size() < 2) throw new IllegalArgumentException("--splits: agreement needs at least two splits, got " + out);
        return out;
    }

    /** Candidate references with folders replaced by the recipes under them, sorted by path. */
    static List<String> expand(List<String> refs) {
        List<String> out = new ArrayList<>();
        for (String r : refs) {
            String ref = r.strip();
            if (ref.isEmpty()) continue;
            Path p = Path.of(ref);
            if (Files.isDirectory(p) && !Files.isRegularFile(p.resolve("config.json"))) {
                try (Stream<Path> files = Files.walk(p)) {
                    List<String> recipes = files.filter(Files::isRegularFile)
                            .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                            .map(Path::toString).sorted().toList();
                    if (recipes.isEmpty()) throw new IllegalArgumentException("--candidates: folder " + ref + " holds no .yaml recipe");
                    out.addAll(recipes);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + ref, e);
                }
            } else {
                out.add(ref);
            }
        }
        return out;
    }

    private void writeCsv(RankAgreement.Result r) {
        StringBuilder sb = new StringBuilder("candidate");
        for (String s : r.splits()) sb.append(',').append(s).append(',').append(s).append("_lower,").append(s).append("_upper");
        sb.append('\n');
        for (int c = 0; c < r.candidates().size(); c++) {
            sb.append('"').append(r.candidates().get(c).replace("\"", "\"\"")).append('"');
            for (int s = 0; s < r.splits().size(); s++) {
                sb.append(String.format(Locale.ROOT, ",%.6f,%.6f,%.6f", r.scores()[s][c], r.intervals()[s][c][0], r.intervals()[s][c][1]));
            }
            sb.append('\n');
        }
        try {
            if (csv.getParent() != null) Files.createDirectories(csv.getParent());
            Files.writeString(csv, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + csv, e);
        }
        System.out.println("wrote " + csv);
    }
}
