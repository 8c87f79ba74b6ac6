package alloy.search;

import alloy.arch.LayerLayout;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.PairedComparison;
import alloy.eval.stats.PairedTest;
import alloy.eval.task.Split;
import alloy.merge.MergeMethod;
import alloy.merge.ParamSpec;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import io.jenetics.DoubleGene;
import io.jenetics.GaussianMutator;
import io.jenetics.Genotype;
import io.jenetics.MeanAlterer;
import io.jenetics.Phenotype;
import io.jenetics.TournamentSelector;
import io.jenetics.UniformCrossover;
import io.jenetics.EliteSelector;
import io.jenetics.engine.Engine;
import io.jenetics.engine.EvolutionInit;
import io.jenetics.engine.EvolutionResult;
import io.jenetics.engine.Evaluator;
import io.jenetics.ext.moea.NSGA2Selector;
import io.jenetics.ext.moea.Pareto;
import io.jenetics.ext.moea.UFTournamentSelector;
import io.jenetics.ext.moea.Vec;
import io.jenetics.util.ISeq;
import io.jenetics.util.RandomRegistry;
import io.jenetics.util.Seq;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import java.util.stream.Stream;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The genetic search of {@code alloy evolve}. Parents alone and the uniform merge are scored first (they
 * calibrate the objective and seed the population); Jenetics then evolves the genomes of {@link MergeCodec}
 * on one thread from a seeded generator, scoring each new recipe once through {@link CandidateScorer}, with
 * every score journalled before it counts. The winner is chosen among the final generation's elites and,
 * with every parent and the uniform merge, scored on the held-out split, where paired tests say whether it
 * is really better. The search split's score is never the one reported as the result.
 */
public final class Evolution {

    /** Told once per generation and once per scored candidate. */
    public interface Listener {
        void candidate(int scored, String label, double objective, double seconds);

        void generation(Generation g);

        Listener NONE = new Listener() {
            @Override public void candidate(int scored, String label, double objective, double seconds) {}
            @Override public void generation(Generation g) {}
        };
    }

    /** One generation: candidates scored so far (all, not only new ones), best and mean search objective. */
    public record Generation(int generation, int scored, double best, double mean, double seconds) {}

    /** A candidate with its search-split scores. */
    public record Scored(String label, Recipe recipe, Candidate candidate, List<TaskResult> search, double objective) {}

    /** A paired comparison of the winner with one reference on one task of the held-out split. */
    public record Comparison(String against, String task, PairedComparison test) {}

    /**
     * @param front with {@code objectives: pareto}, the non-dominated candidates of the final generation (each
     *              task's normalised score an objective); empty otherwise
     */
    public record Result(Scored winner, List<Scored> elites, List<Scored> baselines, List<Generation> generations,
                         Map<String, List<TaskResult>> heldout, List<Comparison> comparisons, Objective objective,
                         int scored, boolean stopped, Split selection, List<Scored> front) {}

    /** Thrown out of the evaluator when the user asks to stop; the search ends with what it has. */
    static final class Stopped extends RuntimeException {
        Stopped() { super("stopped", null, false, false); }
    }

    public static final String UNIFORM = "uniform merge";

    /** Below every feasible objective: what a candidate that could not be merged scores. */
    static final double INFEASIBLE = -1e8;

    private final SearchSpec spec;
    private final MergeMethod method;
    private final MergeCodec codec;
    private final CandidateScorer scorer;
    private final Journal journal;
    private final BooleanSupplier stop;
    private final Bootstrap bootstrap;
    private final Split selection;
    private final Set<String> evaluated = new HashSet<>();
    /** When the generations began (System.nanoTime), for a wall-time budget; -1 before. */
    private long searchStart = -1;
    private final Map<String, Scored> byKey = new LinkedHashMap<>();
    private Objective objective;
    private Listener listener = Listener.NONE;

    /**
     * @param selection the split the winner is chosen on among the elites: validation when every proxy set
     *                  has one, else search
     */
    public Evolution(SearchSpec spec, MergeMethod method, MergeCodec codec, CandidateScorer scorer, Journal journal,
                     BooleanSupplier stop, Bootstrap bootstrap, Split selection) {
        this.spec = spec;
        this.method = method;
        this.codec = codec;
        this.scorer = scorer;
        this.journal = journal;
        this.stop = stop;
        this.bootstrap = bootstrap;
        this.selection = selection;
    }

    public Result run(Listener listener) {
        this.listener = listener;
        // 1. baselines: each parent alone and the uniform merge, on the search split
        List<Scored> baselines = new ArrayList<>();
        List<List<TaskResult>> parentScores = new ArrayList<>();
        this.objective = new Objective(spec.tasks());
        Recipe uniform = codec.recipe(this::uniformValue);
        for (int k = 0; k < spec.models().size(); k++) {
            String m = spec.models().get(k);
            Candidate c = new Candidate.Model(m, spec.folder());
            Candidate next = k + 1 < spec.models().size() ? new Candidate.Model(spec.models().get(k + 1), spec.folder()) : new Candidate.Merge(UNIFORM, uniform);
            List<TaskResult> r = results("baseline", 0, c, "model:" + m, Split.SEARCH, Optional.of(next));
            parentScores.add(r);
            baselines.add(new Scored(m, null, c, r, Double.NaN));
        }
        objective.calibrate(parentScores);
        baselines.replaceAll(b -> new Scored(b.label(), b.recipe(), b.candidate(), b.search(), objective.value(b.search())));
        baselines.add(scoreRecipe("baseline", 0, UNIFORM, uniform));

        // 2. the evolution, seeded with the baselines that the search space can express
        List<Generation> generations = new ArrayList<>();
        boolean stopped = false;
        List<Genotype<DoubleGene>> last = null;
        List<Scored> front = List.of();
        try {
            if (spec.pareto()) {
                List<List<Genotype<DoubleGene>>> out = RandomRegistry.with(generator(spec.seed()), r -> evolvePareto(generations));
                last = out.get(0);
                front = out.get(1).stream().map(this::scoredOf).filter(s -> s != null).distinct()
                        .sorted(Comparator.comparingDouble(Scored::objective).reversed()).toList();
            } else {
                EvolutionResult<DoubleGene, Double> end = RandomRegistry.with(generator(spec.seed()), r -> evolve(generations));
                last = end == null ? null : end.population().stream().map(Phenotype::genotype).toList();
            }
        } catch (Stopped s) {
            stopped = true;
        }

        // 3. elites: the best distinct recipes of the final generation (or of everything scored, when stopped);
        //    with a Pareto front, the front's members by the weighted objective
        Stream<Scored> pool = last == null ? byKey.values().stream()
                : !front.isEmpty() ? front.stream() : last.stream().map(this::scoredOf).filter(s -> s != null);
        // a Pareto search chooses on its front alone; a weighted one also among the baselines it was seeded with
        Stream<Scored> seeded = front.isEmpty() ? baselines.stream().filter(b -> b.recipe() != null) : Stream.empty();
        List<Scored> elites = Stream.concat(pool, seeded)
                .collect(Collectors.toMap(s -> s.recipe() == null ? s.label() : RecipeYaml.write(s.recipe()), s -> s, (a, b) -> a, LinkedHashMap::new))
                .values().stream().sorted(Comparator.comparingDouble(Scored::objective).reversed()).limit(spec.elites()).toList();
        Scored winner = elites.get(0);
        if (!stopped && selection != Split.SEARCH) {
            double best = Double.NEGATIVE_INFINITY;
            for (Scored e : elites) {
                double v = objective.value(results("elite", 0, e.candidate(), key(e), selection));
                if (v > best) { best = v; winner = e; }
            }
        }
        if (stopped) return new Result(winner, elites, baselines, generations, Map.of(), List.of(), objective, evaluated.size(), true, selection, front);

        // 4. held-out: the winner against every parent and the uniform merge
        Map<String, List<TaskResult>> heldout = new LinkedHashMap<>();
        List<Scored> finalists = new ArrayList<>(List.of(winner));
        finalists.addAll(baselines);
        for (int k = 0; k < finalists.size(); k++) {
            Scored f = finalists.get(k);
            Optional<Candidate> next = k + 1 < finalists.size() ? Optional.of(finalists.get(k + 1).candidate()) : Optional.empty();
            heldout.put(k == 0 ? "winner" : f.label(), results("heldout", 0, f.candidate(), key(f), Split.HELDOUT, next));
        }
        Map<String, List<TaskResult>> references = new LinkedHashMap<>(heldout);
        references.remove("winner");
        List<Comparison> comparisons = compare(heldout.get("winner"), references, bootstrap);
        return new Result(winner, elites, baselines, generations, heldout, comparisons, objective, evaluated.size(), false, selection, front);
    }

    /**
     * Paired tests of {@code winner} against each of {@code references} (label to results on the same split and
     * items), task by task; sets scored by a whole-set statistic have no per-item values and are left out (their
     * intervals are compared instead). Shared by evolve and learn, so both report the same tests.
     */
    public static List<Comparison> compare(List<TaskResult> winner, Map<String, List<TaskResult>> references, Bootstrap bootstrap) {
        List<Comparison> comparisons = new ArrayList<>();
        for (var ref : references.entrySet()) {
            for (int t = 0; t < winner.size(); t++) {
                var a = ref.getValue().get(t).primary();
                var c = winner.get(t).primary();
                if (!a.hasItems() || !c.hasItems()) continue;   // whole-set statistics: compare the intervals
                comparisons.add(new Comparison(ref.getKey(), winner.get(t).task(), PairedTest.compare(c.metric(), a.items(), c.items(), bootstrap)));
            }
        }
        return comparisons;
    }

    private double[] infeasible() {
        double[] v = new double[spec.tasks().size()];
        Arrays.fill(v, 2 * INFEASIBLE);
        return v;
    }

    private Scored scoredOf(Genotype<DoubleGene> g) { return byKey.get(RecipeYaml.write(codec.decode(g))); }

    private static String key(Scored s) { return s.recipe() == null ? "model:" + s.label() : RecipeYaml.write(s.recipe()); }

    private static RandomGenerator generator(long seed) {
        return RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
    }

    private EvolutionResult<DoubleGene, Double> evolve(List<Generation> generations) {
        Evaluator<DoubleGene, Double> evaluator = this::evaluate;
        Engine<DoubleGene, Double> engine = new Engine.Builder<>(evaluator, codec.codec().encoding())
                .populationSize(spec.population())
                .maximizing()
                .executor(Runnable::run)     // evolution steps on this thread, so the seeded generator decides everything
                .survivorsSelector(new EliteSelector<>(Math.max(1, spec.elites())))
                .offspringSelector(new TournamentSelector<>(3))
                .alterers(new UniformCrossover<>(0.3, 0.5), new MeanAlterer<>(0.15), new GaussianMutator<>(0.2))
                .build();
        long t0 = System.nanoTime();
        EvolutionResult<DoubleGene, Double> last = null;
        for (EvolutionResult<DoubleGene, Double> r : generations(engine)) {
            // the mean over candidates that could be merged: an infeasible one's sentinel would swamp it
            double mean = r.population().stream().mapToDouble(Phenotype::fitness).filter(v -> v > INFEASIBLE).average().orElse(Double.NaN);
            Generation g = new Generation((int) r.generation(), evaluated.size(), r.bestFitness(), mean, (System.nanoTime() - t0) / 1e9);
            generations.add(g);
            listener.generation(g);
            last = r;
        }
        return last;
    }

    /**
     * The generations of {@code engine} from the seeded population, until Ctrl-C, the budget (scored
     * candidates), the wall time or the number of generations says stop, whichever comes first.
     */
    private <C extends Comparable<? super C>> Iterable<EvolutionResult<DoubleGene, C>> generations(Engine<DoubleGene, C> engine) {
        searchStart = System.nanoTime();
        boolean[] spentBefore = {false};
        var stream = engine.stream(EvolutionInit.of(seeds(), 1))
                .limit(r -> !stop.getAsBoolean())
                // the generation in which the budget runs out is kept (its scored candidates may hold the winner);
                // the next one, evaluated with every new candidate unscored, ends the stream
                .limit(r -> {
                    boolean keep = !spentBefore[0];
                    spentBefore[0] = budgetRunOut();
                    return keep;
                });
        return stream.limit(spec.generations())::iterator;
    }

    /** The starting population: each parent alone and the uniform merge where the bounds allow, the rest random. */
    private ISeq<Genotype<DoubleGene>> seeds() {
        List<Genotype<DoubleGene>> seeds = new ArrayList<>();
        for (int k = 0; k < spec.models().size(); k++) {
            int parent = k;
            codec.encode((p, i) -> parentValue(p, i, parent)).ifPresent(seeds::add);
        }
        codec.encode(this::uniformValue).ifPresent(seeds::add);
        while (seeds.size() < spec.population()) seeds.add(codec.random());
        return ISeq.of(seeds.subList(0, spec.population()));
    }

    /**
     * NSGA-II (Deb et al., 2002, as jenetics.ext builds it): one objective per task, the normalised score;
     * returns the final population and its Pareto front.
     */
    private List<List<Genotype<DoubleGene>>> evolvePareto(List<Generation> generations) {
        Evaluator<DoubleGene, Vec<double[]>> evaluator = population -> evaluate(population, Vec.of(infeasible()),
                s -> s.search().isEmpty() ? Vec.of(infeasible()) : Vec.of(s.search().stream().mapToDouble(objective::normalised).toArray()));
        Engine<DoubleGene, Vec<double[]>> engine = new Engine.Builder<>(evaluator, codec.codec().encoding())
                .populationSize(spec.population())
                .maximizing()
                .executor(Runnable::run)
                .survivorsSelector(NSGA2Selector.ofVec())
                .offspringSelector(UFTournamentSelector.ofVec())
                .alterers(new UniformCrossover<>(0.3, 0.5), new MeanAlterer<>(0.15), new GaussianMutator<>(0.2))
                .build();
        long t0 = System.nanoTime();
        EvolutionResult<DoubleGene, Vec<double[]>> last = null;
        for (EvolutionResult<DoubleGene, Vec<double[]>> r : generations(engine)) {
            double[] objs = r.population().stream().map(p -> scoredOf(p.genotype())).filter(x -> x != null).mapToDouble(Scored::objective).filter(v -> v > INFEASIBLE).toArray();
            Generation g = new Generation((int) r.generation(), evaluated.size(), Arrays.stream(objs).max().orElse(Double.NaN),
                    Arrays.stream(objs).average().orElse(Double.NaN), (System.nanoTime() - t0) / 1e9);
            generations.add(g);
            listener.generation(g);
            last = r;
        }
        if (last == null) return List.of(List.of(), List.of());
        ISeq<Phenotype<DoubleGene, Vec<double[]>>> front = Pareto.front(last.population(), (a, b) -> a.fitness().dominance(b.fitness()));
        return List.of(last.population().stream().map(Phenotype::genotype).toList(), front.stream().map(Phenotype::genotype).toList());
    }

    private ISeq<Phenotype<DoubleGene, Double>> evaluate(Seq<Phenotype<DoubleGene, Double>> population) {
        return evaluate(population, 2 * INFEASIBLE, Scored::objective);
    }

    /**
     * Scores the phenotypes of a generation not scored yet, in order, each next one built while the current
     * one is scored; {@code spent} is the fitness of those left unscored once the budget is spent.
     */
    private <F extends Comparable<? super F>> ISeq<Phenotype<DoubleGene, F>> evaluate(Seq<Phenotype<DoubleGene, F>> population, F spent,
                                                                                      Function<Scored, F> fitness) {
        List<Phenotype<DoubleGene, F>> ps = population.asList();
        List<Recipe> todo = ps.stream().map(p -> p.isEvaluated() ? null : codec.decode(p.genotype())).toList();
        List<String> keys = todo.stream().map(r -> r == null ? null : RecipeYaml.write(r)).toList();
        List<Phenotype<DoubleGene, F>> out = new ArrayList<>(ps.size());
        for (int i = 0; i < ps.size(); i++) {
            Phenotype<DoubleGene, F> p = ps.get(i);
            Recipe r = todo.get(i);
            if (r == null) out.add(p);
            else if (budgetSpent(keys.get(i))) out.add(p.withFitness(spent));
            else out.add(p.withFitness(fitness.apply(scoreRecipe("search", (int) p.generation(), null, r, keys.get(i), upcoming(todo, keys, i)))));
        }
        return ISeq.of(out);
    }

    /**
     * The first recipe after {@code todo[i]} that will be scored anew (not known, not journalled, within the
     * budget once {@code todo[i]} is scored); {@code keys} are the recipes' journal keys.
     */
    private Optional<Candidate> upcoming(List<Recipe> todo, List<String> keys, int i) {
        if (spec.budget().isPresent() && evaluated.size() + 1 >= spec.budget().getAsLong() || timeSpent()) return Optional.empty();
        for (int j = i + 1; j < todo.size(); j++) {
            String key = keys.get(j);
            if (key == null || key.equals(keys.get(i)) || byKey.containsKey(key) || journal.find(key, Split.SEARCH).isPresent()) continue;
            return Optional.of(new Candidate.Merge("candidate " + (evaluated.size() + 2), todo.get(j)));
        }
        return Optional.empty();
    }

    /**
     * Jenetics evaluates a whole generation at once, so the budget is enforced here rather than between
     * generations: once it is spent, a recipe not scored before is left unscored and ranked last (never
     * journalled, never an elite), and the run scores exactly the budget it was given. A wall-time budget is
     * enforced the same way, per candidate: none is started once the search (the generations, after the
     * baselines) has run that long, so the search overruns it by at most the candidate in progress.
     */
    private boolean budgetSpent(String key) {
        return budgetRunOut() && !byKey.containsKey(key);
    }

    /** The count budget scored or the wall time spent. */
    private boolean budgetRunOut() {
        return spec.budget().isPresent() && evaluated.size() >= spec.budget().getAsLong() || timeSpent();
    }

    private boolean timeSpent() {
        return spec.duration().isPresent() && searchStart >= 0 && System.nanoTime() - searchStart >= spec.duration().get().toNanos();
    }

    private Scored scoreRecipe(String role, int generation, String label, Recipe r) {
        return scoreRecipe(role, generation, label, r, RecipeYaml.write(r), Optional.empty());
    }

    /** {@code key}: the recipe's journal key ({@link RecipeYaml#write}). */
    private Scored scoreRecipe(String role, int generation, String label, Recipe r, String key, Optional<Candidate> next) {
        Scored known = byKey.get(key);
        if (known != null) return known;
        String name = label != null ? label : "candidate " + (evaluated.size() + 1);
        Candidate c = new Candidate.Merge(name, r);
        List<TaskResult> res = results(role, generation, c, key, Split.SEARCH, next);
        Scored s = new Scored(name, r, c, res, objective.value(res));
        byKey.put(key, s);
        return s;
    }

    /** Scores from the journal when it has them (a resumed run), else scored now and journalled. */
    private List<TaskResult> results(String role, int generation, Candidate c, String key, Split split) {
        return results(role, generation, c, key, split, Optional.empty());
    }

    /** As above; {@code next}, when scored anew after this one, is built while this one is scored. */
    private List<TaskResult> results(String role, int generation, Candidate c, String key, Split split, Optional<Candidate> next) {
        Optional<Journal.Entry> known = journal.find(key, split);
        List<TaskResult> res;
        double secs;
        if (known.isPresent()) {
            res = known.get().results();
            secs = known.get().seconds();
        } else {
            if (stop.getAsBoolean()) throw new Stopped();
            long t0 = System.nanoTime();
            try {
                CandidateScorer.Scored s = scorer.score(c, split, next);
                res = s.results();
                secs = s.seconds();
            } catch (IllegalArgumentException e) {
                // a genome the method cannot merge (linear weights that sum to 0 under normalize): the candidate is
                // infeasible, journalled with no scores, and the search goes on
                res = List.of();
                secs = (System.nanoTime() - t0) / 1e9;
                System.err.println("note: " + c.label() + " cannot be merged (" + e.getMessage().lines().findFirst().orElse("") + "); scored as infeasible");
            }
            journal.append(res.isEmpty() ? "infeasible" : role, generation, c.label(), key, split, res, secs);
        }
        if (split == Split.SEARCH && evaluated.add(key)) {
            listener.candidate(evaluated.size(), c.label(), objective == null ? Double.NaN : objective.value(res), secs);
        }
        return res;
    }

    /** A method normalises weights (linear, TIES family) when its normalize flag defaults to, or is fixed at, true. */
    private boolean normalises() {
        Double fixed = spec.fixed().get("normalize");
        if (fixed != null) return fixed != 0;
        return method.parameters().stream().anyMatch(p -> p.name().equals("normalize") && p.defaultValue() != null && p.defaultValue() != 0);
    }

    /** Every model at the same weight; other parameters at the method's default, or the middle of their bounds. */
    double uniformValue(String param, int model) {
        if (param.equals("weight")) return normalises() ? 1.0 : 1.0 / spec.models().size();
        return defaultOrMiddle(param);
    }

    /** Parent {@code k} alone: weight 1 for it and 0 for the others, everything kept (density 1), lambda 1. */
    double parentValue(String param, int model, int k) {
        return switch (param) {
            case "weight" -> model == k ? 1.0 : 0.0;
            case "density", "lambda" -> 1.0;
            default -> defaultOrMiddle(param);
        };
    }

    private double defaultOrMiddle(String param) {
        SearchSpec.Bounds b = spec.tuned().get(param);
        Optional<Double> dflt = Stream.concat(method.parameters().stream(), method.tensorParameters().stream())
                .filter(p -> p.name().equals(param)).map(ParamSpec::defaultValue).filter(v -> v != null).findFirst();
        if (dflt.isPresent() && (b == null || b.contains(dflt.get()))) return dflt.get();
        return b == null ? 0.5 : (b.min() + b.max()) / 2;
    }

    /**
     * The per-layer values of {@code r} for the report: for each model and tuned parameter, the value at each
     * layer's depth (and per filter group when the search tunes filters apart), at the layers {@code groupLayers}
     * gives each group ({@link alloy.recipe.CoefficientLayout#layersByGroup}): a group of t = 0 tensors only
     * (embeddings, head) is listed at layer 0, where it merges something.
     */
    public static List<Coefficient> coefficients(Recipe r, MergeCodec codec, int layers, List<? extends Set<Integer>> groupLayers) {
        List<Coefficient> out = new ArrayList<>();
        for (MergeCodec.Tuned t : codec.tuned()) {
            List<Map.Entry<String, ParameterSetting>> owners = new ArrayList<>();
            // a chain's models sit in its stage and its last document; the stage's own entry (weight 1) is not a coefficient
            List<Recipe.InputModel> models = new ArrayList<>();
            for (Recipe.Stage st : r.stages()) models.addAll(st.recipe().models());
            for (Recipe.InputModel m : r.models()) if (!r.stageNames().contains(m.model())) models.add(m);
            if (t.perModel()) for (Recipe.InputModel m : models) owners.add(Map.entry(m.model(), m.parameters().get(t.name())));
            else owners.add(Map.entry("(global)", r.parameters().get(t.name())));
            for (var o : owners) {
                ParameterSetting s = o.getValue();
                List<ParameterSetting.Condition> groups = s instanceof ParameterSetting.Filtered f ? f.conditions()
                        : List.of(new ParameterSetting.Condition(null, s));
                for (ParameterSetting.Condition c : groups) {
                    String probe = c.filter() == null ? "" : c.filter();
                    for (int l : groupLayers.get(codec.layout().groupOfFilter(c.filter()))) {
                        double depth = LayerLayout.depthOf(l, layers);
                        out.add(new Coefficient(l, o.getKey(), c.filter() == null ? t.name() : t.name() + "[" + c.filter() + "]",
                                c.value().evaluate(probe, depth).orElse(Double.NaN)));
                    }
                }
            }
        }
        return out;
    }

    public record Coefficient(int layer, String model, String parameter, double value) {}
}
