package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.QuadraticFit;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.results.SweepFit;
import alloy.results.SweepPoint;
import alloy.search.CandidateScorer;
import alloy.search.ParamTarget;
import alloy.search.Sweep;
import alloy.tensor.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Sweep one recipe value, merging each point in memory and scoring it on the search split;",
                "fit a quadratic, confirm its peak, then score the winner and the ends on the held-out split."})
final class SweepCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECIPE", description = "mergekit-compatible YAML recipe whose value is swept")
    Path recipeFile;

    @Option(names = "--param", required = true, description = "value to sweep: a global parameter (t, lambda) or models[i].name")
    String param;

    @Option(names = "--complement", description = "a value set to 1 - x at each point, e.g. models[0].weight")
    String complement;

    @Option(names = "--values", required = true, split = ",", description = "points, e.g. 0,0.2,0.4,0.6,0.8,1")
    double[] values;

    @Option(names = "--tasks", required = true, description = "proxy sets, comma-separated")
    String tasks;

    @Option(names = "--profile", description = "encoder pooling profile (bge, e5, minilm, ...)")
    String profile;

    @Option(names = "--random-seed", defaultValue = "0", description = "seed for random merge methods (DARE, DELLA) at every point (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", description = "results folder (default: results/sweep-<recipe>-<param>)")
    Path out;

    @Override public Integer call() throws IOException {
        Recipe recipe = RecipeYaml.read(recipeFile);
        ParamTarget target = ParamTarget.parse(param);
        Optional<ParamTarget> comp = Optional.ofNullable(complement).map(ParamTarget::parse);
        List<ProxyTask> sets = Tasks.resolve(tasks);
        MergeRun.Options opt = new MergeRun.Options(seed, MergeRun.Options.defaults().threads(), Kernels.fast());
        Sweep sweep = new Sweep(recipe, target, comp, Bootstrap.defaults());
        Sweep.Result result;
        if (values.length < 3) throw new IllegalArgumentException("--values: a sweep needs at least 3 values to fit a quadratic, got " + values.length);
        Path dir = outDir();
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException("--out " + dir + ": exists and is not a folder");
        RunInfo info = Runs.info(RunKind.SWEEP, spec, sets).withInput("recipe", recipeFile.toString()).withSeed(seed);
        try (RunWriter w = RunWriter.create(dir, info);
             CandidateScorer scorer = CandidateScorer.forTasks(sets, Optional.ofNullable(profile), opt)) {
            int samples = values.length;
            result = sweep.run(values, scorer, (p, done, planned) -> {
                System.err.printf(Locale.ROOT, "%s %s=%.3f on the %s split: objective %.4f%n",
                        switch (p.role()) {
                            case SAMPLE -> String.format(Locale.ROOT, "sample %d/%d:", done, samples);
                            case PROPOSAL -> "proposal:";
                            case HELDOUT -> "held-out:";
                        }, target, p.x(), p.split(), p.objective());
                String name = String.format(Locale.ROOT, "%s=%.4g", target, p.x());
                Runs.scores(w, name, sweep.at(p.x()), name, p.split(), p.results(), Double.NaN);
            });
            for (Sweep.Point p : result.points()) {
                if (p.split() == Split.SEARCH) w.sweepPoint(new SweepPoint(target.toString(), p.x(), p.objective(), p.role() == Sweep.Role.PROPOSAL));
            }
            QuadraticFit f = result.fit();
            w.fit(SweepFit.of(target.toString(), f.a(), f.b(), f.c(), f.r2(), result.proposal().x(), result.proposal().reason()));
            w.text("winner.yaml", String.format(Locale.ROOT, "# winner of `alloy sweep %s --param %s`: %s = %.4f%n", recipeFile, param, target, result.winner())
                    + RecipeYaml.write(Runs.relocated(result.winningRecipe(), dir)));
            w.finish();
        }
        print(result, sets);
        System.out.println("wrote " + dir + " (run.json, candidates.csv, sweep.csv, fit.json, winner.yaml)");
        return 0;
    }

    private void print(Sweep.Result r, List<ProxyTask> sets) {
        String metric = sets.size() == 1 ? sets.get(0).manifest().metric() : "mean of " + sets.stream().map(t -> t.manifest().metric()).distinct().toList();
        System.out.printf(Locale.ROOT, "%nsweep of %s over %s on %s (search split, objective: %s)%n", r.target(),
                Arrays.toString(values), sets.stream().map(ProxyTask::name).toList(), metric);
        List<Sweep.Point> search = r.points().stream().filter(p -> p.split() == Split.SEARCH).toList();
        double lo = search.stream().mapToDouble(Sweep.Point::objective).min().orElse(0), hi = search.stream().mapToDouble(Sweep.Point::objective).max().orElse(1);
        for (Sweep.Point p : search.stream().sorted((a, b) -> Double.compare(a.x(), b.x())).toList()) {
            int bar = hi > lo ? (int) Math.round(40 * (p.objective() - lo) / (hi - lo)) : 20;
            StringBuilder cis = new StringBuilder();
            for (TaskResult t : p.results()) cis.append(String.format(Locale.ROOT, "  %s %.3f [%.3f, %.3f]", t.task(), t.primary().value(), t.primary().lower(), t.primary().upper()));
            System.out.printf(Locale.ROOT, "  %s=%-6.3f %.4f |%-40s|%s%s%n", r.target(), p.x(), p.objective(), "#".repeat(bar),
                    p.role() == Sweep.Role.PROPOSAL ? " (proposal)" : "", cis);
        }
        System.out.println("fit: " + r.fit() + (r.fit().isConcave() ? String.format(Locale.ROOT, ", vertex %.3f", r.fit().vertex()) : ", not concave"));
        System.out.printf(Locale.ROOT, "proposal: %s=%.3f (%s)%n", r.target(), r.proposal().x(), r.proposal().reason());
        System.out.printf(Locale.ROOT, "winner (confirmed on the search split): %s=%.3f%n", r.target(), r.winner());
        System.out.println("held-out split:");
        for (Sweep.Point p : r.points().stream().filter(p -> p.split() == Split.HELDOUT).toList()) {
            for (TaskResult t : p.results()) {
                Score s = t.primary();
                System.out.printf(Locale.ROOT, "  %s=%-6.3f %-24s %s%s%n", r.target(), p.x(), t.task(), s, Math.abs(p.x() - r.winner()) < 1e-9 ? "  <- winner" : "");
            }
        }
        System.out.println("winner vs the ends of the sweep (paired, same items):");
        for (Sweep.Comparison c : r.comparisons()) {
            System.out.printf(Locale.ROOT, "  %-8s %-24s %s%n", c.split(), c.task(),
                    c.test().verdict(String.format(Locale.ROOT, "%s=%.3f", r.target(), c.against()), String.format(Locale.ROOT, "%s=%.3f", r.target(), r.winner())));
        }
    }

    private Path outDir() {
        String stem = recipeFile.getFileName().toString().replaceAll("\\.ya?ml$", "");
        return out != null ? out : Path.of("results", "sweep-" + stem + "-" + param.replaceAll("[^A-Za-z0-9_]+", "_"));
    }
}
