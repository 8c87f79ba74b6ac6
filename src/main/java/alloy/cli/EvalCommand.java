package alloy.cli;

import alloy.eval.Scorer;
import alloy.eval.Scorers;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.PairedTest;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.Checkpoints;
import alloy.recipe.MergeRun;
import alloy.recipe.RecipeYaml;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score models or recipes (merged in memory) on proxy sets, with 95% bootstrap intervals;",
                "with several candidates, a paired test of each against the first tells a real difference from noise."})
final class EvalCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "MODEL|RECIPE", description = "checkpoints or .yaml recipes (merged in memory, never written)")
    List<String> candidates;

    @Option(names = "--tasks", required = true, description = "proxy sets, comma-separated (names under proxy-tasks/ or folders)")
    String tasks;

    @Option(names = "--split", defaultValue = "both", description = "search, heldout or both (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--profile", description = "encoder pooling profile: bge, bge-noinstruct, e5, minilm, or pooling=cls|mean,query_prefix=..,passage_prefix=..")
    String profile;

    @Option(names = "--metrics", defaultValue = "all", description = "all, or primary: only each set's main metric (default: ${DEFAULT-VALUE})")
    String metrics;

    @Option(names = "--random-seed", defaultValue = "0", description = "seed for random merge methods in recipes")
    long seed;

    @Override public Integer call() {
        List<ProxyTask> sets = Tasks.resolve(tasks);
        List<Split> splits = split.equals("both") ? List.of(Split.SEARCH, Split.HELDOUT) : List.of(Split.parse(split));
        List<List<TaskResult>> all = new ArrayList<>();
        Scorer scorer = null;
        try {
            for (String c : candidates) {
                try (Candidate cand = Candidate.open(c, seed)) {
                    if (scorer == null) scorer = Scorers.open(cand.checkpoint(), cand.modelName(), sets, Optional.ofNullable(profile));
                    List<TaskResult> results = new ArrayList<>();
                    for (Split s : splits) results.addAll(scorer.score(cand.checkpoint(), s));
                    all.add(results);
                    System.out.println(c);
                    for (TaskResult r : results) {
                        var shown = metrics.equals("primary") ? List.of(r.primary()) : r.metrics().values();
                        for (Score s : shown) System.out.printf(Locale.ROOT, "  %-24s %-8s %s%n", r.task(), r.split(), s);
                    }
                }
            }
        } finally {
            if (scorer != null) scorer.close();
        }
        for (int k = 1; k < all.size(); k++) {
            System.out.println();
            System.out.println(candidates.get(k) + " vs " + candidates.get(0) + " (paired, same items):");
            for (int t = 0; t < all.get(k).size(); t++) {
                TaskResult a = all.get(0).get(t), b = all.get(k).get(t);
                if (!a.primary().hasItems()) {
                    System.out.printf(Locale.ROOT, "  %-24s %-8s %s is a whole-set statistic: compare the intervals%n", a.task(), a.split(), a.primary().metric());
                    continue;
                }
                var cmp = PairedTest.compare(a.primary().metric(), a.primary().items(), b.primary().items(), Bootstrap.defaults());
                System.out.printf(Locale.ROOT, "  %-24s %-8s %s%n", a.task(), a.split(), cmp.verdict("[0]", "[" + k + "]"));
            }
        }
        return 0;
    }

    /** A model on disk, or a recipe merged into memory; owns what it opened. */
    record Candidate(Checkpoint checkpoint, String modelName, AutoCloseable owner) implements AutoCloseable {
        static Candidate open(String ref, long seed) {
            if (ref.endsWith(".yaml") || ref.endsWith(".yml")) {
                MergeRun run = MergeRun.prepare(RecipeYaml.read(Path.of(ref)));
                try {
                    var mem = run.toMemory(ref, new MergeRun.Options(seed, MergeRun.Options.defaults().threads(), alloy.tensor.Kernels.fast()), s -> {});
                    String name = run.recipe().referenceModel();
                    return new Candidate(mem, name, () -> { mem.close(); run.close(); });
                } catch (RuntimeException e) {
                    run.close();
                    throw e;
                }
            }
            Checkpoint c = Checkpoints.open(ref, null);
            return new Candidate(c, ref, c);
        }

        @Override public void close() {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
