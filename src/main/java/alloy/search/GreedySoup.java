package alloy.search;

import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.PairedComparison;
import alloy.eval.stats.PairedTest;
import alloy.eval.task.Split;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Greedy soup (Wortsman et al., 2022, "Model soups", recipe 1): order the checkpoints by their own score on
 * the selection split, start the soup with the best, and add each next one to the running average (the soup
 * of n models becomes old * n/(n+1) + new/(n+1), a uniform average of its members), keeping it only when
 * the score strictly improves. Then the greedy soup, the uniform soup of all checkpoints and the best single
 * checkpoint are scored on the held-out split, which played no part in the choices, and compared item by
 * item.
 */
public final class GreedySoup {

    public enum Decision { START, ACCEPT, REJECT }

    /** One step: the model tried, the soup's score with it, and whether it stayed. */
    public record Step(int step, String model, double alone, double score, Decision decision) {}

    public record Comparison(String a, String b, String task, PairedComparison test) {}

    /** Every score the soup took, for the run's record: a model alone (recipe null) or a soup. */
    public record Entry(String label, Recipe recipe, Split split, List<TaskResult> results, double seconds) {}

    public record Result(List<Step> steps, List<String> members, Recipe greedy, Recipe uniform, String best,
                         Map<String, List<TaskResult>> heldout, List<Comparison> comparisons, Split selection, Objective objective,
                         List<Entry> scored) {}

    public static final String GREEDY = "greedy soup";
    public static final String UNIFORM = "uniform soup";

    private final List<String> models;
    private final Path folder;
    private final Optional<DType> dtype;
    private final Map<String, Double> weights;

    public GreedySoup(List<String> models, Path folder, Optional<DType> dtype, Map<String, Double> taskWeights) {
        if (models.size() < 2) throw new IllegalArgumentException("a soup needs at least 2 models, got " + models.size());
        if (models.stream().distinct().count() != models.size()) throw new IllegalArgumentException("a model is named twice: " + models);
        this.models = List.copyOf(models);
        this.folder = folder;
        this.dtype = dtype;
        this.weights = Map.copyOf(taskWeights);
    }

    /** The uniform average of {@code members}: linear, weight 1 each, normalised (mergekit's model soup). */
    public Recipe soup(List<String> members) {
        List<Recipe.InputModel> ms = members.stream()
                .map(m -> new Recipe.InputModel(m, Map.<String, ParameterSetting>of("weight", new ParameterSetting.Scalar(1.0)))).toList();
        return new Recipe("linear", Optional.empty(), ms, List.of(), Map.of("normalize", new ParameterSetting.Scalar(1)),
                dtype, Optional.empty(), Optional.empty(), folder);
    }

    public Result run(CandidateScorer scorer, Split selection, Bootstrap bootstrap, Consumer<Step> listener) {
        List<Entry> scored = new ArrayList<>();
        Map<String, List<TaskResult>> alone = new LinkedHashMap<>();
        for (int k = 0; k < models.size(); k++) {
            String m = models.get(k);
            Optional<Candidate> next = k + 1 < models.size() ? Optional.of(new Candidate.Model(models.get(k + 1), folder)) : Optional.empty();
            CandidateScorer.Scored s = scorer.score(new Candidate.Model(m, folder), selection, next);
            alone.put(m, s.results());
            scored.add(new Entry(m, null, selection, s.results(), s.seconds()));
        }
        Objective objective = new Objective(weights).calibrate(new ArrayList<>(alone.values()));
        List<String> order = new ArrayList<>(models);
        // stable: equal scores keep the order the user gave
        order.sort(Comparator.comparingDouble((String m) -> objective.value(alone.get(m))).reversed());
        List<Step> steps = new ArrayList<>();
        List<String> members = new ArrayList<>(List.of(order.get(0)));
        double best = objective.value(alone.get(order.get(0)));
        Step first = new Step(1, order.get(0), best, best, Decision.START);
        steps.add(first);
        listener.accept(first);
        for (int i = 1; i < order.size(); i++) {
            String m = order.get(i);
            List<String> tryMembers = new ArrayList<>(members);
            tryMembers.add(m);
            CandidateScorer.Scored tried = scorer.score(new Candidate.Merge("soup + " + m, soup(tryMembers)), selection);
            scored.add(new Entry("soup of " + tryMembers.size() + " (+ " + m + ")", soup(tryMembers), selection, tried.results(), tried.seconds()));
            double score = objective.value(tried.results());
            boolean keep = score > best;
            Step s = new Step(i + 1, m, objective.value(alone.get(m)), score, keep ? Decision.ACCEPT : Decision.REJECT);
            steps.add(s);
            listener.accept(s);
            if (keep) {
                members = tryMembers;
                best = score;
            }
        }
        Recipe greedy = soup(members);
        Recipe uniform = soup(models);
        String bestSingle = order.get(0);
        Map<String, List<TaskResult>> heldout = new LinkedHashMap<>();
        Map<String, Candidate> finalists = new LinkedHashMap<>();
        finalists.put(GREEDY, members.size() == 1 ? new Candidate.Model(bestSingle, folder) : new Candidate.Merge(GREEDY, greedy));
        finalists.put(UNIFORM, new Candidate.Merge(UNIFORM, uniform));
        finalists.put(bestSingle, new Candidate.Model(bestSingle, folder));
        List<Map.Entry<String, Candidate>> inTurn = List.copyOf(finalists.entrySet());
        for (int k = 0; k < inTurn.size(); k++) {
            var f = inTurn.get(k);
            Optional<Candidate> next = k + 1 < inTurn.size() ? Optional.of(inTurn.get(k + 1).getValue()) : Optional.empty();
            CandidateScorer.Scored s = scorer.score(f.getValue(), Split.HELDOUT, next);
            heldout.put(f.getKey(), s.results());
            scored.add(new Entry(f.getKey(), f.getValue() instanceof Candidate.Merge m ? m.recipe() : null, Split.HELDOUT, s.results(), s.seconds()));
        }
        List<Comparison> comparisons = new ArrayList<>();
        for (String against : List.of(UNIFORM, bestSingle)) {
            List<TaskResult> g = heldout.get(GREEDY), o = heldout.get(against);
            for (int t = 0; t < g.size(); t++) {
                var a = o.get(t).primary();
                var b = g.get(t).primary();
                if (!a.hasItems() || !b.hasItems()) continue;
                comparisons.add(new Comparison(against, GREEDY, g.get(t).task(), PairedTest.compare(b.metric(), a.items(), b.items(), bootstrap)));
            }
        }
        return new Result(steps, members, greedy, uniform, bestSingle, heldout, comparisons, selection, objective, scored);
    }
}
