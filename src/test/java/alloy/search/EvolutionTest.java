package alloy.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.MemoryCheckpoint;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import alloy.merge.MergeMethods;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import io.jenetics.DoubleGene;
import io.jenetics.Genotype;
import io.jenetics.util.RandomRegistry;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search on tiny checkpoints with a scorer whose optimum is known: closeness to a target merge. Checks
 * the codec round trip (genome -> recipe -> YAML -> the same tensors as `alloy merge` computes), that no
 * recipe is ever scored twice, that the search finds a better recipe than its baselines, and that a run is a
 * function of its seed.
 */
class EvolutionTest {

    @TempDir Path dir;
    Path target;

    /** Scores by minus the mean squared distance to {@code target}, per tensor (the items); counts calls per recipe. */
    static class Closeness implements Scorer {
        final Checkpoint target;
        final Map<String, Integer> calls = new HashMap<>();

        Closeness(Checkpoint target) { this.target = target; }

        @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
            calls.merge(candidate.label() + "@" + split, 1, Integer::sum);
            List<TensorInfo> infos = target.tensors();
            double[] items = new double[infos.size()];
            try (Arena a = Arena.ofConfined()) {
                for (int i = 0; i < items.length; i++) {
                    var t = target.read(infos.get(i).name(), a);
                    var c = candidate.read(infos.get(i).name(), a);
                    Kernels.fast().sub(c, t, c);
                    items[i] = 1 - Kernels.fast().sumSquares(c) / c.size() * 1e3;
                }
            }
            var s = Bootstrap.defaults().mean("closeness", items);
            return List.of(new TaskResult("closeness", split.key(), s, Map.of("closeness", s)));
        }
    }

    @BeforeEach
    void models() {
        RandomModels.Spec spec = RandomModels.Spec.tiny();
        RandomModels.write(dir.resolve("base"), spec, DType.F32, 1, 1, 0, 1 << 30);
        RandomModels.write(dir.resolve("a"), spec, DType.F32, 1, 2, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("b"), spec, DType.F32, 1, 3, 1.0, 1 << 30);
        Recipe t = RecipeYaml.parse("merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 0.3}\n"
                + "  - model: b\n    parameters: {weight: 0.8}\n", "target", dir);
        target = dir.resolve("target");
        try (MergeRun run = MergeRun.prepare(t)) {
            run.toDisk(OutputTarget.of(target, false), 1 << 30, MergeRun.Options.defaults(), s -> {});
        }
    }

    SearchSpec spec(String granularity, long seed, int generations) {
        return SearchSpec.parse("""
                merge_method: task_arithmetic
                base_model: base
                models: [a, b]
                parameters:
                  weight: [0, 1]
                granularity: %s
                tasks: [closeness]
                population: 8
                generations: %d
                elites: 3
                seed: %d
                """.formatted(granularity, generations, seed), "search", dir);
    }

    @Test
    void codecRoundTripGivesTheTensorsThatAlloyMergeComputes() {
        SearchSpec s = spec("layers", 1, 2);
        MergeCodec codec = new MergeCodec(s, MergeMethods.get("task_arithmetic"), 4);
        Genotype<DoubleGene> g = RandomRegistry.with(RandomGeneratorFactory.of("L64X128MixRandom").create(5), r -> codec.random());
        Recipe decoded = codec.decode(g);
        // per-layer granularity: 4 anchors per model, each a gene rounded to 4 decimals
        var w = (alloy.recipe.ParameterSetting.Gradient) decoded.models().get(1).parameters().get("weight");
        double[] genes = g.get(0).stream().mapToDouble(DoubleGene::doubleValue).toArray();
        for (int l = 0; l < 4; l++) assertEquals(MergeCodec.round(genes[4 + l]), w.anchors()[l], 0);
        Recipe reparsed = RecipeYaml.parse(RecipeYaml.write(decoded), "winner.yaml", dir);
        try (MergeRun a = MergeRun.prepare(decoded); MergeRun b = MergeRun.prepare(reparsed);
             MemoryCheckpoint ma = a.toMemory("a", MergeRun.Options.defaults(), x -> {});
             MemoryCheckpoint mb = b.toMemory("b", MergeRun.Options.defaults(), x -> {});
             Arena arena = Arena.ofConfined()) {
            for (TensorInfo t : ma.tensors()) {
                assertArrayEquals(ma.read(t.name(), arena).toArray(), mb.read(t.name(), arena).toArray(), t.name());
            }
            // and layer l of the merge uses exactly anchor l: check one layer against base + sum w tau by hand
            try (Checkpoint base = Checkpoints.open(dir.resolve("base")); Checkpoint ca = Checkpoints.open(dir.resolve("a"));
                 Checkpoint cb = Checkpoints.open(dir.resolve("b"))) {
                var wa = (alloy.recipe.ParameterSetting.Gradient) decoded.models().get(0).parameters().get("weight");
                String name = "model.layers.2.mlp.up_proj.weight";
                float[] x0 = base.read(name, arena).toArray(), xa = ca.read(name, arena).toArray(), xb = cb.read(name, arena).toArray();
                float[] got = ma.read(name, arena).toArray();
                for (int i = 0; i < got.length; i++) {
                    double want = x0[i] + wa.anchors()[2] * (xa[i] - x0[i]) + w.anchors()[2] * (xb[i] - x0[i]);
                    assertEquals(want, got[i], 1e-5);
                }
            }
        }
    }

    @Test
    void searchNeverScoresARecipeTwiceAndBeatsItsBaselines() {
        SearchSpec s = spec("model", 11, 15);
        try (Checkpoint t = Checkpoints.open(target)) {
            Closeness scorer = new Closeness(t);
            Evolution.Result r;
            try (CandidateScorer cs = new CandidateScorer((ref, name) -> scorer, new MergeRun.Options(0, 1, Kernels.fast()));
                 Journal journal = Journal.create(dir.resolve("run"))) {
                Evolution evo = new Evolution(s, MergeMethods.get("task_arithmetic"), new MergeCodec(s, MergeMethods.get("task_arithmetic"), 4),
                        cs, journal, () -> false, Bootstrap.defaults(), Split.SEARCH);
                r = evo.run(Evolution.Listener.NONE);
                List<String> keys = new ArrayList<>();
                for (Journal.Entry e : journal.entries()) keys.add(e.split() + " " + e.key());
                assertEquals(keys.size(), keys.stream().distinct().count(), "a recipe was journalled twice on one split");
            }
            scorer.calls.forEach((k, v) -> assertEquals(1, v, k + " scored " + v + " times"));
            double bestBaseline = r.baselines().stream().mapToDouble(Evolution.Scored::objective).max().orElseThrow();
            assertTrue(r.winner().objective() > bestBaseline, "winner " + r.winner().objective() + " vs best baseline " + bestBaseline);
            var wa = r.winner().recipe().models().get(0).parameters().get("weight").evaluate("x", 0).getAsDouble();
            var wb = r.winner().recipe().models().get(1).parameters().get("weight").evaluate("x", 0).getAsDouble();
            assertEquals(0.3, wa, 0.1, "the target's weights are 0.3 and 0.8: " + r.winner().objective());
            assertEquals(0.8, wb, 0.1);
            assertEquals(15, r.generations().size());
            assertTrue(r.heldout().containsKey("winner") && r.heldout().containsKey(Evolution.UNIFORM));
        }
    }

    @Test
    void aBudgetBetweenGenerationsIsScoredExactly() {
        // population 8: 3 baselines (two parents, the uniform merge), 5 random, then offspring; 13 ends inside generation 2
        SearchSpec s = SearchSpec.parse("""
                merge_method: task_arithmetic
                base_model: base
                models: [a, b]
                parameters:
                  weight: [0, 1]
                tasks: [closeness]
                population: 8
                generations: 10
                budget: 13
                elites: 3
                seed: 4
                """, "budget", dir);
        try (Checkpoint t = Checkpoints.open(target)) {
            Closeness scorer = new Closeness(t);
            try (CandidateScorer cs = new CandidateScorer((ref, name) -> scorer, new MergeRun.Options(0, 1, Kernels.fast()));
                 Journal journal = Journal.create(dir.resolve("budget-run"))) {
                Evolution.Result r = new Evolution(s, MergeMethods.get("task_arithmetic"), new MergeCodec(s, MergeMethods.get("task_arithmetic"), 4),
                        cs, journal, () -> false, Bootstrap.defaults(), Split.SEARCH).run(Evolution.Listener.NONE);
                assertEquals(13, r.scored(), "candidates scored on the search split");
                assertEquals(13, journal.entries().stream().filter(e -> e.split() == Split.SEARCH).count());
                assertEquals(13, scorer.calls.keySet().stream().filter(k -> k.endsWith("@search")).count());
                // the generation that spent the budget is kept, so its candidates can win; no later one is
                assertEquals(List.of(1, 2), r.generations().stream().map(Evolution.Generation::generation).toList());
                assertEquals(13, r.generations().get(1).scored());
                assertTrue(r.winner().objective() > Evolution.INFEASIBLE, "the winner is a scored candidate");
            }
        }
    }

    @Test
    void aWallTimeBudgetStopsInsideAGeneration() {
        // each candidate takes 250 ms; 1 s of search (after 3 baselines) fits 4-5 candidates, less than one generation of 12
        SearchSpec s = SearchSpec.parse("""
                merge_method: task_arithmetic
                base_model: base
                models: [a, b]
                parameters:
                  weight: [0, 1]
                tasks: [closeness]
                population: 12
                generations: 10
                budget: 1s
                elites: 3
                seed: 4
                """, "time budget", dir);
        try (Checkpoint t = Checkpoints.open(target)) {
            Closeness scorer = new Closeness(t) {
                @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return super.score(candidate, split);
                }
            };
            try (CandidateScorer cs = new CandidateScorer((ref, name) -> scorer, new MergeRun.Options(0, 1, Kernels.fast()));
                 Journal journal = Journal.create(dir.resolve("time-run"))) {
                Evolution.Result r = new Evolution(s, MergeMethods.get("task_arithmetic"), new MergeCodec(s, MergeMethods.get("task_arithmetic"), 4),
                        cs, journal, () -> false, Bootstrap.defaults(), Split.SEARCH).run(Evolution.Listener.NONE);
                long searched = r.scored() - 3;
                // none is started after 1 s, so at most 5 (starts at 0, .25, .5, .75 and just under 1 s); at least 3 however slow the machine
                assertTrue(searched >= 3 && searched <= 5, "candidates scored in 1 s of search at 0.25 s or more each: " + searched);
                assertEquals(1, r.generations().size(), "no generation starts once the time is spent");
                assertTrue(r.winner().objective() > Evolution.INFEASIBLE, "the winner is a scored candidate");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameJournal() {
        List<List<String>> runs = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            SearchSpec s = spec("groups:2", 3, 4);
            try (Checkpoint t = Checkpoints.open(target);
                 CandidateScorer cs = new CandidateScorer((ref, name) -> new Closeness(t), new MergeRun.Options(0, 1, Kernels.fast()));
                 Journal journal = Journal.create(dir.resolve("run" + k))) {
                new Evolution(s, MergeMethods.get("task_arithmetic"), new MergeCodec(s, MergeMethods.get("task_arithmetic"), 4),
                        cs, journal, () -> false, Bootstrap.defaults(), Split.SEARCH).run(Evolution.Listener.NONE);
                runs.add(journal.entries().stream().map(e -> e.seq() + " " + e.split() + " " + e.key()).toList());
            }
        }
        assertEquals(runs.get(0), runs.get(1));
    }

    /** Closeness to a and closeness to b, as two tasks: their trade-off is a front, not a point. */
    static final class TwoTargets implements alloy.eval.Scorer {
        final Closeness a, b;

        TwoTargets(Checkpoint a, Checkpoint b) { this.a = new Closeness(a); this.b = new Closeness(b); }

        @Override public List<TaskResult> score(Checkpoint c, Split split) {
            TaskResult ra = a.score(c, split).get(0), rb = b.score(c, split).get(0);
            return List.of(new TaskResult("near-a", split.key(), ra.primary(), ra.metrics()), new TaskResult("near-b", split.key(), rb.primary(), rb.metrics()));
        }
    }

    @Test
    void paretoSearchReportsANonDominatedFront() {
        SearchSpec s = SearchSpec.parse("""
                merge_method: linear
                models: [a, b]
                parameters:
                  weight: [0, 1]
                fixed: {normalize: true}
                tasks: [near-a, near-b]
                objectives: pareto
                population: 8
                generations: 5
                elites: 3
                seed: 9
                """, "pareto", dir);
        try (Checkpoint ca = Checkpoints.open(dir.resolve("a")); Checkpoint cb = Checkpoints.open(dir.resolve("b"));
             CandidateScorer cs = new CandidateScorer((ref, name) -> new TwoTargets(ca, cb), new MergeRun.Options(0, 1, Kernels.fast()));
             Journal journal = Journal.create(dir.resolve("pareto-run"))) {
            Evolution.Result r = new Evolution(s, MergeMethods.get("linear"), new MergeCodec(s, MergeMethods.get("linear"), 4),
                    cs, journal, () -> false, Bootstrap.defaults(), Split.SEARCH).run(Evolution.Listener.NONE);
            assertTrue(r.front().size() >= 2, "a trade-off between two targets has more than one optimum: " + r.front().size());
            for (Evolution.Scored f : r.front()) {
                for (Evolution.Scored g : r.front()) {
                    double fa = r.objective().normalised(f.search().get(0)), fb = r.objective().normalised(f.search().get(1));
                    double ga = r.objective().normalised(g.search().get(0)), gb = r.objective().normalised(g.search().get(1));
                    assertTrue(!(ga >= fa && gb >= fb && (ga > fa || gb > fb)), g.label() + " dominates " + f.label() + " on the front");
                }
            }
            assertTrue(r.front().contains(r.winner()), "the winner is chosen on the front");
        }
    }

    @Test
    void shippedSearchesRead() throws Exception {
        try (var files = java.nio.file.Files.list(Path.of("configs", "evolve"))) {
            List<Path> specs = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertTrue(specs.size() >= 2, specs.toString());
            for (Path f : specs) {
                SearchSpec s = SearchSpec.read(f);
                assertEquals(s.toYaml(), SearchSpec.parse(s.toYaml(), f.toString(), Path.of("/")).toYaml(), "toYaml reads back to the same search: " + f);
                for (String m : s.models()) {
                    if (!m.startsWith("maven:")) assertTrue(java.nio.file.Files.isDirectory(s.folder().resolve(m)), f + ": " + m);
                }
            }
        }
    }

    @Test
    void aJournalServesOneSearchAtATime() {
        Path run = dir.resolve("locked");
        try (Journal first = Journal.create(run)) {
            first.append("baseline", 0, "a", "model:a", Split.SEARCH, List.of(), 0.1);
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Journal.resume(run));
            assertTrue(e.getMessage().contains("another alloy process"), e.getMessage());
        }
        try (Journal again = Journal.resume(run)) {
            assertEquals(1, again.size());
        }
    }
}
