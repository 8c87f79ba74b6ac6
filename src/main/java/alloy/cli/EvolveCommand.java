package alloy.cli;

import alloy.arch.LayerLayout;
import alloy.arch.WeightName;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.TensorInfo;
import alloy.io.resolve.Checkpoints;
import alloy.io.OutputTarget;
import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.recipe.MergeRun;
import alloy.recipe.RecipeYaml;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.search.CandidateScorer;
import alloy.search.Evolution;
import alloy.search.Journal;
import alloy.search.MergeCodec;
import alloy.search.SearchSpec;
import alloy.tensor.Kernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import java.time.Duration;
import java.util.OptionalLong;

@Command(name = "evolve", mixinStandardHelpOptions = true,
        description = {"Genetic search over per-model or per-layer merge coefficients (Jenetics), every candidate merged in memory",
                "and scored on the proxy sets' search split; the winner is reported on the held-out split with paired tests",
                "against each parent and the uniform merge. Every score is journalled; --resume continues a killed run."})
final class EvolveCommand implements Callable<Integer> {

    @Spec CommandSpec cmdSpec;

    static final String SPEC_FILE = "search.yaml";

    @Parameters(index = "0", arity = "0..1", paramLabel = "SEARCH.yaml", description = "the search: models, merge_method, parameters with bounds, tasks (see README)")
    Path specFile;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: results/evolve-<search name>)")
    Path out;

    @Option(names = "--seed", description = "random seed of the search (default: the search file's seed, else 42)")
    Long seed;

    @Option(names = "--random-seed", paramLabel = "N", description = "seed of the candidates' DARE/DELLA masks (default: the search file's random_seed, else 0, as alloy merge)")
    Long randomSeed;

    @Option(names = "--budget", paramLabel = "EVALS|DURATION", description = "most candidates scored (200) or wall time (90s, 20m); overrides the file")
    String budget;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue the killed run in DIR: its journalled candidates are not scored again")
    Path resume;

    @Option(names = "--save-model", paramLabel = "DIR", description = "also write the winning checkpoint to DIR")
    Path saveModel;

    @Option(names = "--chain-orders", description = "three models: search each order of a pairwise chain (0+1 then 2, 0+2 then 1, 1+2 then 0) on a third of the budget, and compare the winners")
    boolean chainOrders;

    @Option(names = "--tasks", paramLabel = "SETS", description = "proxy sets to search on and score, comma-separated (names under proxy-tasks/ or folders), instead of the file's tasks; a set keeps the weight the file gives its name")
    String tasks;

    @Option(names = "--profile", description = "encoder pooling profile (bge, e5, minilm, ...); overrides the file")
    String profile;

    @Override public Integer call() throws IOException {
        if ((specFile == null) == (resume == null)) throw new IllegalArgumentException("give SEARCH.yaml, or --resume DIR (not both)");
        if (resume != null && tasks != null) throw new IllegalArgumentException("--resume searches the sets its run was started on; leave out --tasks");
        Path dir = resume != null ? resume : (out != null ? out : Path.of("results", "evolve-" + stem(specFile)));
        Path specPath = resume != null ? dir.resolve(SPEC_FILE) : specFile;
        if (resume != null && !Files.isRegularFile(specPath)) throw new IllegalArgumentException(dir + ": no " + SPEC_FILE + " (not an evolve run folder)");
        SearchSpec spec = resume == null ? override(SearchSpec.read(specPath)) : SearchSpec.read(specPath);
        if (saveModel != null) Outputs.one(null, saveModel, false);
        if (chainOrders) return compareChainOrders(spec, dir);
        Evolution.Result result = search(spec, dir, specPath);
        return result.stopped() ? 130 : 0;
    }

    /**
     * {@code --chain-orders}: the same search once per order of a pairwise chain over the three models (0+1 then
     * 2, 0+2 then 1, 1+2 then 0), each with a third of the budget, each an ordinary evolve run in its own folder
     * under {@code dir}; then the three winners side by side on the held-out split, the best (by mean held-out
     * primary score) tested against the other two on the same items.
     */
    private int compareChainOrders(SearchSpec spec, Path dir) throws IOException {
        if (resume != null) throw new IllegalArgumentException("--chain-orders starts three searches; resume one of them with --resume DIR/<order>");
        if (!spec.chain().isEmpty()) throw new IllegalArgumentException("--chain-orders compares every order; the search already fixes 'chain: " + spec.chain() + "'");
        if (spec.models().size() != 3) throw new IllegalArgumentException("--chain-orders needs exactly three models, found " + spec.models().size());
        if (spec.budget().isEmpty() && spec.duration().isEmpty()) throw new IllegalArgumentException("--chain-orders splits a budget three ways: give 'budget' or --budget");
        var third = spec.budget().isPresent() ? OptionalLong.of(Math.max(1, spec.budget().getAsLong() / 3)) : OptionalLong.empty();
        var thirdTime = spec.duration().map(d -> d.dividedBy(3));
        Map<String, Evolution.Result> byOrder = new LinkedHashMap<>();
        for (List<Integer> order : SearchSpec.chainOrders()) {
            String name = "order-" + order.get(0) + "+" + order.get(1) + "-then-" + order.get(2);
            System.out.printf(Locale.ROOT, "%n== chain %s: (%s + %s) then %s%n", name, Report.shorten(spec.models().get(order.get(0))),
                    Report.shorten(spec.models().get(order.get(1))), Report.shorten(spec.models().get(order.get(2))));
            Evolution.Result r = search(spec.withChain(order, third, thirdTime), dir.resolve(name), null);
            if (r.stopped()) return 130;
            byOrder.put(name, r);
        }
        String best = null;
        double bestMean = Double.NEGATIVE_INFINITY;
        for (var e : byOrder.entrySet()) {
            double mean = e.getValue().heldout().get("winner").stream().mapToDouble(t -> t.primary().value()).average().orElse(Double.NaN);
            if (mean > bestMean) { bestMean = mean; best = e.getKey(); }
        }
        System.out.println();
        System.out.println("chain orders, each order's winner on the held-out split (95% intervals):");
        for (var e : byOrder.entrySet()) System.out.printf(Locale.ROOT, "  %-28s%s%n", e.getKey(), scores(e.getValue().heldout().get("winner")));
        Map<String, List<TaskResult>> others = new LinkedHashMap<>();
        for (var e : byOrder.entrySet()) if (!e.getKey().equals(best)) others.put(e.getKey(), e.getValue().heldout().get("winner"));
        List<Evolution.Comparison> cmp = Evolution.compare(byOrder.get(best).heldout().get("winner"), others, Bootstrap.defaults());
        System.out.println(best + " (best mean held-out score) vs the other orders (paired on the same items):");
        for (Evolution.Comparison c : cmp) System.out.printf(Locale.ROOT, "  vs %-28s %-22s %s%n", c.against(), c.task(), c.test().verdict("it", best));
        Files.writeString(dir.resolve("chain-orders.csv"), Report.comparisonsCsv(cmp));
        System.out.println("wrote " + dir.resolve("chain-orders.csv") + " and one evolve run folder per order");
        return 0;
    }

    /** One search into {@code dir} (a fresh run, or the resumed one), reported and written there. */
    private Evolution.Result search(SearchSpec asWritten, Path dir, Path specPath) throws IOException {
        List<String> keys = List.copyOf(asWritten.tasks().keySet());
        List<ProxyTask> sets = Tasks.resolve(String.join(",", keys));
        // the objective weighs each set by the name its scores carry; the file (and spec.yaml) may name it by folder
        Map<String, Double> byName = new LinkedHashMap<>();
        for (int i = 0; i < sets.size(); i++) {
            if (byName.put(sets.get(i).name(), asWritten.tasks().get(keys.get(i))) != null) {
                throw new IllegalArgumentException("tasks: two sets named " + sets.get(i).name() + " (" + keys + ")");
            }
        }
        SearchSpec spec = asWritten.withTasks(byName);
        MergeMethod method = MergeMethods.get(spec.mergeMethod());
        int layers;
        Map<String, Double> depths = new LinkedHashMap<>();
        try (Checkpoint ref = Checkpoints.open(spec.baseModel().orElse(spec.models().get(0)), spec.folder())) {
            LayerLayout layout = LayerLayout.of(ref);
            layers = layout.numLayers();
            for (TensorInfo t : ref.tensors()) depths.put(t.name(), layout.depth(WeightName.parse(t.name())));
        }
        MergeCodec codec = new MergeCodec(spec, method, layers);
        Journal journal;
        if (resume != null) {
            journal = Journal.resume(dir);
            System.err.printf(Locale.ROOT, "resuming %s: %d journalled candidates will not be scored again%n", dir, journal.size());
        } else {
            journal = Journal.create(dir);
            // the file a resumed run reads back, with the command line's overrides folded in
            Files.writeString(dir.resolve(SPEC_FILE), "# the search as run (" + specFile + " with the command line's overrides); --resume reads it\n" + asWritten.toYaml());
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            System.err.println("\nstopping after the candidate in flight (its score is journalled; --resume " + dir + " continues)");
            try {
                main.join(120_000);
            } catch (InterruptedException ignored) {
                // the JVM is going down anyway
            }
        }, "alloy-evolve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        int genes = codec.tuned().stream().mapToInt(t -> (t.perModel() ? spec.models().size() : 1) * (spec.filters().size() + 1) * codec.anchors()).sum();
        System.out.printf(Locale.ROOT, "evolve: %s over %d models, %s granularity (%d anchors over %d layers), %d genes; population %d, %d generations%s, seed %d%n",
                spec.mergeMethod(), spec.models().size(), spec.granularity(), codec.anchors(), layers, genes, spec.population(), spec.generations(),
                spec.budget().isPresent() ? ", budget " + spec.budget().getAsLong() + " candidates" : spec.duration().map(d -> ", budget " + d.toSeconds() + " s").orElse(""),
                spec.seed());
        // the winner is chosen among the elites on the validation split when every proxy set has one, so that
        // the choice does not reward what the search split happens to favour
        Split selection = sets.stream().allMatch(t -> t.splits().contains(Split.VALIDATION)) ? Split.VALIDATION : Split.SEARCH;
        MergeRun.Options opt = new MergeRun.Options(spec.randomSeed(), MergeRun.Options.defaults().threads(), Kernels.fast());
        long planned = spec.budget().isPresent() ? spec.budget().getAsLong() : (long) spec.population() * spec.generations() + spec.models().size() + 1;
        Evolution.Result result;
        List<Journal.Entry> journalEntries;
        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, spec.profile(), opt); journal) {
            Evolution evo = new Evolution(spec, method, codec, scorer, journal, stop::get, Bootstrap.defaults(), selection);
            long wall0 = System.nanoTime();
            int before = journal.size();
            result = evo.run(new Evolution.Listener() {
                double spent;
                @Override public void candidate(int scored, String label, double objective, double seconds) {
                    spent += seconds;
                }
                @Override public void generation(Evolution.Generation g) {
                    double per = g.scored() > 0 ? spent / g.scored() : 0;
                    long left = Math.max(0, planned - g.scored());
                    System.out.printf(Locale.ROOT, "generation %d: %d candidates scored (of about %d), search objective best %.4f mean %.4f, %.1f s per candidate, about %s left%n",
                            g.generation(), g.scored(), planned, g.best(), g.mean(), per, duration(per * left));
                }
            });
            journalEntries = journal.entries();
            // the search's own cost (decoding, bookkeeping, journal, Jenetics) against the time spent building and scoring candidates
            double wall = (System.nanoTime() - wall0) / 1e9;
            double scoring = journalEntries.subList(before, journalEntries.size()).stream().mapToDouble(Journal.Entry::seconds).sum();
            if (scoring > 0) {
                System.out.printf(Locale.ROOT, "search overhead: %.2f s of %.1f s (%.2f%% of the time spent building and scoring candidates)%n",
                        Math.max(0, wall - scoring), wall, 100 * Math.max(0, wall - scoring) / scoring);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down: the hook is running
            }
        }
        RunInfo info = Runs.info(RunKind.EVOLVE, cmdSpec, sets).withInput("models", spec.models()).withSeed(spec.seed());
        if (spec.baseModel().isPresent()) info = info.withInput("base_model", spec.baseModel().get());
        Report.write(dir, info, spec, codec, layers, codec.layout().layersByGroup(depths, layers), result, journalEntries);
        Report.print(result, spec, dir);
        Report.agreement(result);
        if (saveModel != null && !result.stopped() && spec.chain().isEmpty()) {
            try (MergeRun run = MergeRun.prepare(result.winner().recipe() != null ? result.winner().recipe()
                    : RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: " + result.winner().label() + "\n    parameters: {weight: 1}\n", "winner", spec.folder()))) {
                Path done = run.toDisk(new OutputTarget(saveModel, false, specPath == null ? List.of() : List.of(specPath)), 5L << 30, opt, s -> {});
                System.out.println("wrote the winning checkpoint to " + done);
            }
        }
        return result;
    }

    private SearchSpec override(SearchSpec s) {
        var budgetEvals = s.budget();
        var budgetTime = s.duration();
        if (budget != null) {
            Object b = SearchSpec.parseBudget(budget, "--budget");
            budgetEvals = b instanceof Long n ? OptionalLong.of(n) : OptionalLong.empty();
            budgetTime = b instanceof Duration d ? Optional.of(d) : Optional.empty();
        }
        Map<String, Double> sets = s.tasks();
        if (tasks != null) {
            // --tasks: the folders (or names) as given, so that spec.yaml and --resume find the same sets; weights by set name
            sets = new LinkedHashMap<>();
            for (String entry : tasks.split(",")) {
                if (entry.isBlank()) continue;
                String name = Tasks.resolve(entry).getFirst().name();
                sets.put(entry.strip(), s.tasks().getOrDefault(name, 1.0));
            }
            if (sets.isEmpty()) throw new IllegalArgumentException("--tasks: no proxy set named");
        }
        return new SearchSpec(s.mergeMethod(), s.baseModel(), s.models(), s.tuned(), s.fixed(), s.granularity(), s.filters(), sets,
                profile != null ? Optional.of(profile) : s.profile(), s.population(), s.generations(), budgetEvals, budgetTime,
                seed != null ? seed : s.seed(), s.elites(), s.dtype(), s.pareto(), s.folder(), s.chain(), randomSeed != null ? randomSeed : s.randomSeed());
    }

    static String stem(Path p) { return p.getFileName().toString().replaceAll("\\.ya?ml$", ""); }

    static String duration(double seconds) {
        if (seconds < 90) return String.format(Locale.ROOT, "%.0f s", seconds);
        if (seconds < 5400) return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
    }

    static String fmt(Score s) { return String.format(Locale.ROOT, "%s %.3f [%.3f, %.3f]", s.metric(), s.value(), s.lower(), s.upper()); }

    static String scores(List<TaskResult> rs) {
        StringBuilder b = new StringBuilder();
        for (TaskResult r : rs) b.append(String.format(Locale.ROOT, "  %s %s", r.task(), fmt(r.primary())));
        return b.toString();
    }
}
