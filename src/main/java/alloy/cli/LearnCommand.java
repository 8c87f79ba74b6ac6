package alloy.cli;

import alloy.arch.LayerLayout;
import alloy.eval.TaskResult;
import alloy.eval.learn.CoefficientLearner;
import alloy.eval.learn.LearnRun;
import alloy.eval.learn.LearnableMerge;
import alloy.eval.learn.MergedWeights;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.MergeRun;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import alloy.recipe.RecipeYaml;
import alloy.results.Coefficient;
import alloy.results.LearnCheck;
import alloy.results.LearnStep;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.search.Candidate;
import alloy.search.CandidateScorer;
import alloy.search.Evolution;
import alloy.search.LearnSpec;
import alloy.search.SearchSpec;
import alloy.tensor.Kernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "learn", mixinStandardHelpOptions = true,
        description = {"Learn per-model, per-layer merge coefficients by gradient (Adam through the merged forward pass, the models frozen)",
                "on the proxy sets' search split, with early stopping on a slice of it; the learned recipe is reported on the held-out",
                "split beside each parent, the uniform merge and (compare_with) an evolve winner, with paired tests.",
                "LEARN.yaml may begin with fixed stages (named recipe documents) whose results the learned merge uses as models."})
final class LearnCommand implements Callable<Integer> {

    @Spec CommandSpec cmdSpec;

    static final String SPEC_FILE = "learn.yaml";
    static final String UNIFORM = Evolution.UNIFORM;
    static final String LEARNED = "learned";

    @Parameters(index = "0", paramLabel = "LEARN.yaml", description = "the merge to learn: merge_method, base_model, models, tasks, optimiser settings (see README)")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: results/learn-<file name>)")
    Path out;

    @Option(names = "--seed", description = "seed of the data split and batch draws (default: the file's seed, else 42)")
    Long seed;

    @Option(names = "--random-seed", paramLabel = "N", description = "seed of DARE/DELLA masks in every merge of the run (default: the file's random_seed, else 0, as alloy merge)")
    Long randomSeed;

    @Option(names = "--tasks", paramLabel = "SETS", description = "proxy sets to learn on and score, comma-separated (names under proxy-tasks/ or folders), instead of the file's tasks")
    String tasks;

    @Option(names = "--budget", paramLabel = "DURATION", description = "most wall time spent learning (90s, 20m); overrides the file")
    String budget;

    @Override public Integer call() throws Exception {
        Optional<Duration> d = Optional.empty();
        if (budget != null) {
            if (!(SearchSpec.parseBudget(budget, "--budget") instanceof Duration dur)) throw new IllegalArgumentException("--budget of learn is a wall time (90s, 20m), found " + budget);
            d = Optional.of(dur);
        }
        LearnSpec spec = LearnSpec.read(specFile).with(Optional.ofNullable(seed), d, Optional.ofNullable(randomSeed));
        Path dir = out != null ? out : Runs.defaultDir("learn", EvolveCommand.stem(specFile));
        // --tasks: the same learning on other sets, e.g. development sets (scripts/build-dev-sets) to settle a setting on
        List<ProxyTask> sets = Tasks.resolve(tasks != null ? tasks : String.join(",", spec.tasks()));
        Recipe template = spec.template();
        MergedWeights.Form form = LearnableMerge.form(template);
        int models = template.models().size();
        double start = spec.init().orElse(1.0 / models);
        MergeRun.Options opt = new MergeRun.Options(spec.randomSeed(), MergeRun.Options.defaults().threads(), Kernels.fast());
        // one evolve run: "evolve winner"; several: each named by its run folder
        Map<String, Recipe> evolved = new LinkedHashMap<>();
        for (Path run : spec.compareWith()) {
            evolved.put(spec.compareWith().size() == 1 ? "evolve winner" : "evolve winner (" + run.getFileName() + ")", evolveWinner(run));
        }

        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, spec.profile(), opt)) {
            Map<String, Checkpoint> inputs = scorer.inputsOf(template);
            int layers = LayerLayout.of(inputs.get(template.referenceModel())).numLayers();
            int anchors = spec.granularity().anchors(Math.max(1, layers));
            CoefficientLayout layout = new CoefficientLayout(spec.filters(), anchors);
            double[][] initial = fill(models, layout.columns(), start);
            Recipe uniform = LearnableMerge.recipe(template, fill(models, 1, 1.0 / models));
            System.out.printf(Locale.ROOT, "learn: %s over %d models (%s), %s granularity: %d anchors over %d layers%s, %d coefficients from %.4g; "
                            + "Adam lr %.3g, at most %d steps%s, early stopping every %d steps (patience %d), seed %d%n",
                    template.mergeMethod(), models, form == MergedWeights.Form.TASK_VECTORS ? "base + sum of lambda x task vector" : "softmax weights",
                    spec.granularity(), anchors, layers, layout.filters().isEmpty() ? "" : " x " + layout.groups() + " tensor groups " + layout.filters() + " and the rest",
                    models * layout.columns(), start, spec.learningRate(), spec.steps(),
                    spec.duration().map(x -> " or " + x.toSeconds() + " s").orElse(""), spec.evalEvery(), spec.patience(), spec.seed());
            CoefficientLearner.Settings settings = new CoefficientLearner.Settings(spec.steps(), spec.learningRate(), spec.evalEvery(), spec.patience(),
                    0, spec.seed(), spec.duration(), spec.threads());
            LearnRun.LossSettings loss = new LearnRun.LossSettings(spec.batch(), spec.stoppingFraction(), spec.entropy(), spec.supervised(), spec.objective());
            long t0 = System.nanoTime();
            LearnRun.Outcome outcome = LearnRun.run(template, inputs, layout, initial, sets, spec.profile(), loss, settings, opt, new CoefficientLearner.Listener() {
                double window;
                int n;
                @Override public void step(CoefficientLearner.Step s) {
                    window += s.loss();
                    n++;
                }
                @Override public void check(CoefficientLearner.Check c) {
                    System.out.printf(Locale.ROOT, "step %4d: training loss %s, early-stopping loss %.4f%s, %.1f s%n", c.step(),
                            n == 0 ? "-" : String.format(Locale.ROOT, "%.4f", window / n), c.loss(), c.best() ? " (best)" : "", (System.nanoTime() - t0) / 1e9);
                    window = 0;
                    n = 0;
                }
            });
            CoefficientLearner.Result r = outcome.result();
            double learnSeconds = r.seconds();
            Recipe learned = LearnableMerge.recipe(template, layout, outcome.values());
            double perStep = r.steps().stream().mapToDouble(CoefficientLearner.Step::seconds).average().orElse(Double.NaN);
            System.out.printf(Locale.ROOT, "learned in %.1f s: %d steps of %.2f s (%s), best early-stopping loss %.4f at step %d (start %.4f); %d tensors, %d MiB of frozen arrays%n",
                    learnSeconds, r.steps().size(), perStep, ending(r.ending()), r.bestCheck().loss(), r.bestCheck().step(), r.checks().get(0).loss(),
                    outcome.tensors(), outcome.frozenBytes() >> 20);
            System.out.println("loss: " + outcome.loss());
            StringBuilder bySet = new StringBuilder("early-stopping loss by set, start -> best check:");
            r.checks().get(0).bySet().forEach((set, first) -> bySet.append(String.format(Locale.ROOT, "  %s %.4f -> %.4f", set, first, r.bestCheck().bySet().get(set))));
            System.out.println(bySet);

            // held-out: the learned recipe, each parent, the uniform merge, the evolve winner; search split beside it for the record
            Map<String, Candidate> candidates = new LinkedHashMap<>();
            candidates.put(LEARNED, new Candidate.Merge(LEARNED, learned));
            // a parent that is a stage's result is scored as that stage's recipe
            for (Recipe.InputModel m : template.models()) {
                candidates.put(m.model(), template.stageNames().contains(m.model()) ? new Candidate.Merge(m.model(), template.stage(m.model()))
                        : new Candidate.Model(m.model(), template.folder()));
            }
            candidates.put(UNIFORM, new Candidate.Merge(UNIFORM, uniform));
            evolved.forEach((label, w) -> candidates.put(label, new Candidate.Merge(label, w)));
            Map<String, List<TaskResult>> heldout = new LinkedHashMap<>();
            Map<String, List<TaskResult>> search = new LinkedHashMap<>();
            Map<String, Double> seconds = new LinkedHashMap<>();
            List<Map.Entry<String, Candidate>> order = List.copyOf(candidates.entrySet());
            for (int k = 0; k < order.size(); k++) {
                var e = order.get(k);
                Optional<Candidate> next = k + 1 < order.size() ? Optional.of(order.get(k + 1).getValue()) : Optional.empty();
                List<CandidateScorer.Scored> s = scorer.score(e.getValue(), List.of(Split.SEARCH, Split.HELDOUT), next);
                search.put(e.getKey(), s.get(0).results());
                heldout.put(e.getKey(), s.get(1).results());
                seconds.put(e.getKey(), s.get(0).seconds() + s.get(1).seconds());
            }
            Map<String, List<TaskResult>> references = new LinkedHashMap<>(heldout);
            references.remove(LEARNED);
            List<Evolution.Comparison> comparisons = Evolution.compare(heldout.get(LEARNED), references, Bootstrap.defaults());

            RunInfo info = Runs.info(RunKind.LEARN, cmdSpec, sets).withInput("models", template.models().stream().map(Recipe.InputModel::model).toList())
                    .withSeed(spec.seed());
            if (template.baseModel().isPresent()) info = info.withInput("base_model", template.baseModel().get());
            try (RunWriter w = RunWriter.create(dir, info)) {
                w.text(SPEC_FILE, "# the learn file as given (" + specFile + "); paths resolve against " + spec.folder() + "\n" + Files.readString(specFile));
                for (var e : candidates.entrySet()) {
                    Recipe recipe = e.getValue() instanceof Candidate.Merge m ? m.recipe() : null;
                    // the learned recipe's cost includes learning it, so the leaderboard compares like with like
                    double cost = seconds.get(e.getKey()) + (e.getKey().equals(LEARNED) ? learnSeconds : 0);
                    Runs.scores(w, e.getKey(), recipe, null, Split.SEARCH, search.get(e.getKey()), Double.NaN);
                    Runs.scores(w, e.getKey(), recipe, null, Split.HELDOUT, heldout.get(e.getKey()), cost);
                }
                w.text("learned.yaml", "# learned by alloy learn: " + r.steps().size() + " Adam steps, best early-stopping loss "
                        + String.format(Locale.ROOT, "%.4f at step %d, %.1f s", r.bestCheck().loss(), r.bestCheck().step(), learnSeconds) + "\n"
                        + Runs.maskSeedNote(spec.randomSeed()) + RecipeYaml.write(Runs.relocated(learned, dir)));
                String parameter = form == MergedWeights.Form.TASK_VECTORS ? "lambda" : "weight";
                List<SortedSet<Integer>> at = layout.layersByGroup(outcome.depths(), layers);
                for (int k = 0; k < models; k++) {
                    for (int g = 0; g < layout.groups(); g++) {
                        // the group's anchors as a gradient list, read at each layer's depth as the merge reads it
                        double[] row = Arrays.copyOfRange(outcome.values()[k], g * anchors, (g + 1) * anchors);
                        ParameterSetting s = anchors == 1 ? new ParameterSetting.Scalar(row[0]) : new ParameterSetting.Gradient(row);
                        for (int l : at.get(g)) {
                            double depth = LayerLayout.depthOf(l, layers);
                            w.coefficient(new Coefficient(l, Report.shorten(template.models().get(k).model()),
                                    g < layout.filters().size() ? parameter + "[" + layout.groupLabel(g) + "]" : parameter, s.evaluate("", depth).orElseThrow()));
                        }
                    }
                }
                for (CoefficientLearner.Step s : r.steps()) w.learnStep(new LearnStep(s.step(), s.loss(), s.gradientNorm(), s.seconds()));
                for (CoefficientLearner.Check c : r.checks()) w.learnCheck(new LearnCheck(c.step(), c.loss(), c.best(), c.bySet()));
                w.text("comparisons.csv", Report.comparisonsCsv(comparisons));
                w.text("cost.csv", String.format(Locale.ROOT, "what,seconds%nlearning,%.2f%nscoring every candidate on both splits,%.2f%n",
                        learnSeconds, seconds.values().stream().mapToDouble(Double::doubleValue).sum()));
                w.finish();
            }
            System.out.println();
            System.out.println("search split (training + early-stopping items):");
            for (var e : search.entrySet()) System.out.printf(Locale.ROOT, "  %-32s%s%n", Report.shorten(e.getKey()), EvolveCommand.scores(e.getValue()));
            Report.printHeldout(heldout, comparisons, LEARNED, "the uniform merge" + (evolved.isEmpty() ? "" : evolved.size() == 1 ? " and the evolve winner" : " and the evolve winners"));
            System.out.printf(Locale.ROOT, "cost: %.1f s learning, %.1f s in all; wrote %s (run.json, candidates.csv, learned.yaml, coefficients.csv, loss.csv, checks.csv, comparisons.csv)%n",
                    learnSeconds, (System.nanoTime() - t0) / 1e9, dir);
        }
        return 0;
    }

    private static String ending(CoefficientLearner.Ending e) {
        return switch (e) {
            case PATIENCE -> "stopped early: no better early-stopping loss for the patience";
            case MAX_STEPS -> "all steps run";
            case BUDGET -> "wall-time budget spent";
        };
    }

    static double[][] fill(int rows, int cols, double v) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) Arrays.fill(row, v);
        return a;
    }

    /**
     * The winner of an evolve run folder, its models resolved as the run resolved them: winner.yaml names them as
     * the search file did, relative to the search file's folder, which search.yaml records as absolute paths.
     */
    static Recipe evolveWinner(Path run) {
        Path file = run.resolve("winner.yaml");
        if (!Files.isRegularFile(file)) throw new RecipeException("compare_with: " + run + " has no winner.yaml (not a finished evolve run)");
        SearchSpec searched = SearchSpec.read(run.resolve(EvolveCommand.SPEC_FILE));
        Recipe r = RecipeYaml.read(file);
        List<Recipe.InputModel> models = new ArrayList<>();
        for (int i = 0; i < r.models().size(); i++) {
            Recipe.InputModel m = r.models().get(i);
            String ref = i < searched.models().size() && resolvable(searched.models().get(i)) ? searched.models().get(i) : m.model();
            models.add(new Recipe.InputModel(ref, m.parameters()));
        }
        Optional<String> base = r.baseModel().map(b -> searched.baseModel().filter(LearnCommand::resolvable).orElse(b));
        return new Recipe(r.mergeMethod(), base, models, r.slices(), r.parameters(), r.dtype(), r.outDtype(), r.tokenizerSource(), run);
    }

    private static boolean resolvable(String ref) {
        try {
            Checkpoints.resolve(ref, Path.of("."));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
