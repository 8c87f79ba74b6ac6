package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.OutputTarget;
import alloy.recipe.MergeRun;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.results.Decision;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.results.SoupStep;
import alloy.search.CandidateScorer;
import alloy.search.GreedySoup;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;

@Command(name = "soup", mixinStandardHelpOptions = true,
        description = {"Model soups of N checkpoints of one base. Without --greedy: the uniform average (a linear merge with equal weights), written to -o.",
                "With --greedy: Wortsman et al.'s greedy soup, each checkpoint added in order of its own score and kept only if the soup improves",
                "on the search split; then greedy, uniform and best single compared on the held-out split."})
final class SoupCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(arity = "2..*", paramLabel = "MODEL", description = "checkpoints to average")
    List<String> models;

    @Option(names = {"-o", "--out"}, description = "output model directory (created atomically); required without --greedy")
    Path out;

    @Option(names = "--greedy", description = "greedy soup selection on --tasks (built in memory; -o writes the greedy soup)")
    boolean greedy;

    @Option(names = "--tasks", description = "proxy sets that decide the greedy soup, comma-separated")
    String tasks;

    @Option(names = "--results", paramLabel = "DIR", description = "where the greedy soup's run is recorded (default: results/soup-<time>)")
    Path results;

    @Option(names = "--profile", description = "encoder pooling profile the soup is scored with (bge, e5, minilm, ...)")
    String profile;

    @Option(names = "--dtype", description = "output dtype (default: the first model's)")
    String dtype;

    @Option(names = "--out-shard-size", defaultValue = "5G", description = "largest output shard (default: ${DEFAULT-VALUE})")
    String shardSize;

    @Option(names = "--overwrite", description = "replace OUT if it is an earlier Alloy output (never anything else)")
    boolean overwrite;

    @Option(names = "--print-recipe", description = "print the equivalent mergekit recipe")
    boolean printRecipe;

    @Override public Integer call() {
        if (!greedy) Outputs.one(null, out, false);
        else if (tasks == null) throw new IllegalArgumentException("--greedy needs --tasks: the proxy sets that decide which checkpoints stay");
        long shardBytes = Sizes.parse(shardSize);
        Optional<DType> dt = Optional.ofNullable(dtype).map(DType::fromRecipe);
        Recipe r = soup(models, dt);
        if (greedy) {
            if (out != null) Outputs.one(null, out, false);
            r = greedy(dt);
        }
        if (printRecipe) System.out.print(RecipeYaml.write(r));
        if (out == null) return 0;
        try (MergeRun run = MergeRun.prepare(r)) {
            OutputTarget target = run.checkOutput(OutputTarget.of(out, overwrite), MergeRun.Format.SAFETENSORS);
            Path done;
            try (Progress p = new Progress("soup", run.plan())) {
                done = run.toDisk(target, shardBytes, MergeRun.Options.defaults(), p);
            }
            System.out.printf(Locale.ROOT, "averaged %d models into %s%n", r.models().size(), done);
        }
        return 0;
    }

    private Recipe greedy(Optional<DType> dt) {
        List<ProxyTask> sets = Tasks.resolve(tasks);
        Map<String, Double> weights = new LinkedHashMap<>();
        sets.forEach(t -> weights.put(t.name(), 1.0));
        GreedySoup soup = new GreedySoup(models, Path.of("").toAbsolutePath(), dt, weights);
        GreedySoup.Result res;
        MergeRun.Options opt = new MergeRun.Options(0, MergeRun.Options.defaults().threads(), Kernels.fast());
        System.out.println("greedy soup (objective: mean over tasks of score / best single model's score):");
        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, Optional.ofNullable(profile), opt)) {
            // greedy decisions on the validation split when every set has one (Wortsman et al. chose on held-out validation data)
            Split selection = sets.stream().allMatch(t -> t.splits().contains(Split.VALIDATION)) ? Split.VALIDATION : Split.SEARCH;
            System.out.println("decisions on the " + selection + " split");
            res = soup.run(scorer, selection, Bootstrap.defaults(), s -> System.out.printf(Locale.ROOT, "  %d. %-40s alone %.4f  soup %.4f  %s%n",
                    s.step(), Report.shorten(s.model()), s.alone(), s.score(), switch (s.decision()) {
                        case START -> "start (best alone)";
                        case ACCEPT -> "accept (improves)";
                        case REJECT -> "reject (does not improve)";
                    }));
        }
        Path dir = results != null ? results : Runs.defaultDir("soup", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try (RunWriter w = RunWriter.create(dir, Runs.info(RunKind.SOUP, spec, sets).withInput("models", models))) {
            for (GreedySoup.Entry e : res.scored()) Runs.scores(w, Report.shorten(e.label()), e.recipe(), null, e.split(), e.results(), e.seconds());
            for (GreedySoup.Step s : res.steps()) {
                w.soupStep(new SoupStep(s.step(), Report.shorten(s.model()), switch (s.decision()) {
                    case START -> Decision.START;
                    case ACCEPT -> Decision.ACCEPT;
                    case REJECT -> Decision.REJECT;
                }, s.score(), "objective"));
            }
            w.text("greedy.yaml", "# the greedy soup of alloy soup --greedy\n" + RecipeYaml.write(Runs.relocated(res.greedy(), dir)));
            w.finish();
        }
        System.out.printf(Locale.ROOT, "greedy soup: %d of %d models: %s%n", res.members().size(), models.size(), res.members().stream().map(Report::shorten).toList());
        System.out.println("held-out split (never used to choose), 95% bootstrap intervals:");
        for (Map.Entry<String, List<TaskResult>> e : res.heldout().entrySet()) {
            System.out.printf(Locale.ROOT, "  %-32s%s%n", Report.shorten(e.getKey()) + (e.getKey().equals(res.best()) ? " (best single)" : ""), EvolveCommand.scores(e.getValue()));
        }
        System.out.println("greedy soup vs the uniform soup and the best single model (held-out, paired; the paired bootstrap decides, the sign test is shown beside it):");
        for (GreedySoup.Comparison c : res.comparisons()) {
            System.out.printf(Locale.ROOT, "  vs %-28s %-22s %s%n", Report.shorten(c.a()), c.task(), c.test().verdict("it", "greedy"));
        }
        System.out.println("recorded in " + dir);
        return res.greedy();
    }

    /** The soup as a recipe: linear, weight 1 each, normalized (so each model counts 1/N). */
    static Recipe soup(List<String> models, Optional<DType> dtype) {
        Path here = Path.of("").toAbsolutePath();
        List<Recipe.InputModel> ms = models.stream()
                .map(m -> new Recipe.InputModel(m, Map.<String, ParameterSetting>of("weight", new ParameterSetting.Scalar(1.0)))).toList();
        return new Recipe("linear", Optional.empty(), ms, List.of(), Map.of("normalize", new ParameterSetting.Scalar(1)),
                dtype, Optional.empty(), Optional.empty(), here);
    }
}
