package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.PairedTest;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.recipe.MergeRun;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.search.Candidate;
import alloy.search.CandidateScorer;
import alloy.tensor.Kernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Score models or recipes (merged in memory) on proxy sets, with 95%% bootstrap intervals;",
                "with several candidates, a paired test of each against the first tells a real difference from noise."})
final class EvalCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "MODEL|RECIPE", description = "checkpoints or .yaml recipes (merged in memory, never written)")
    List<String> candidates;

    @Option(names = "--tasks", required = true, description = "proxy sets, comma-separated (names under proxy-tasks/ or folders)")
    String tasks;

    @Option(names = "--split", defaultValue = "both", description = "search, validation (sets that have one), heldout, or both (search and heldout; default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--profile", description = "encoder pooling profile: bge, bge-noinstruct, e5, minilm, or pooling=cls|mean,query_prefix=..,passage_prefix=..")
    String profile;

    @Option(names = "--metrics", defaultValue = "all", description = "all, or primary: only each set's main metric (default: ${DEFAULT-VALUE})")
    String metrics;

    @Option(names = "--random-seed", defaultValue = "0", description = "seed for random merge methods in recipes (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "keep the scores as a run in the common results layout (for alloy leaderboard)")
    Path out;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        List<ProxyTask> sets = Tasks.resolve(tasks);
        List<Split> splits = split.equals("both") ? List.of(Split.SEARCH, Split.HELDOUT) : List.of(Split.parse(split));
        List<Candidate> cands = candidates.stream().map(Candidate::parse).toList();
        List<List<TaskResult>> all = new ArrayList<>();
        MergeRun.Options opt = new MergeRun.Options(seed, MergeRun.Options.defaults().threads(), Kernels.fast());
        RunWriter w = out == null ? null : RunWriter.create(out, Runs.info(RunKind.EVAL, spec, sets).withInput("candidates", candidates).withSeed(seed));
        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, Optional.ofNullable(profile), opt)) {
            for (int k = 0; k < cands.size(); k++) {
                Candidate c = cands.get(k);
                Optional<Candidate> next = k + 1 < cands.size() ? Optional.of(cands.get(k + 1)) : Optional.empty();
                System.err.printf(Locale.ROOT, "scoring %d/%d: %s on %s (%s) ...%n", k + 1, cands.size(), c.label(),
                        sets.stream().map(ProxyTask::name).toList(), splits.stream().map(Split::key).toList());
                List<TaskResult> results = new ArrayList<>();
                for (CandidateScorer.Scored s : scorer.score(c, splits, next)) {
                    results.addAll(s.results());
                    if (w != null) Runs.scores(w, c.label(), c instanceof Candidate.Merge m ? m.recipe() : null, null, s.split(), s.results(), s.seconds());
                }
                all.add(results);
                System.out.println(c.label());
                for (TaskResult r : results) {
                    var shown = metrics.equals("primary") ? List.of(r.primary()) : r.metrics().values();
                    for (Score s : shown) System.out.printf(Locale.ROOT, "  %-24s %-8s %s%n", r.task(), r.split(), s);
                }
            }
        }
        if (w != null) {
            w.finish();
            w.close();
            System.out.println("recorded in " + out);
        }
        for (int k = 1; k < all.size(); k++) {
            System.out.println();
            System.out.println(candidates.get(k) + " vs " + candidates.get(0) + " (paired, same items):");
            for (int t = 0; t < all.get(k).size(); t++) {
                TaskResult a = all.get(0).get(t), b = all.get(k).get(t);
                // A whole-set statistic (corpus perplexity) has no per-item values to pair; the set's first
                // metric that is a mean over items (loglik for perplexity sets) is compared instead, named as such.
                Optional<Score> paired = a.primary().hasItems() ? Optional.of(a.primary())
                        : a.metrics().values().stream().filter(Score::hasItems).findFirst();
                if (paired.isEmpty()) {
                    System.out.printf(Locale.ROOT, "  %-24s %-8s %s is a whole-set statistic: compare the intervals%n", a.task(), a.split(), a.primary().metric());
                    continue;
                }
                String metric = paired.get().metric();
                Score other = b.metrics().get(metric);
                var cmp = PairedTest.compare(metric, paired.get().items(), other.items(), Bootstrap.defaults());
                String note = paired.get() == a.primary() ? "" : a.primary().metric() + " is a whole-set statistic, so the pairs compare ";
                System.out.printf(Locale.ROOT, "  %-24s %-8s %s%s%n", a.task(), a.split(), note, cmp.verdict("[0]", "[" + k + "]"));
            }
        }
        return 0;
    }
}
