package alloy.eval.learn;

import alloy.eval.model.WeightLoader;
import alloy.io.Checkpoint;
import alloy.io.MemoryCheckpoint;
import alloy.merge.Consensus;
import alloy.merge.Linear;
import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.merge.Sparsifier;
import alloy.merge.TaskArithmetic;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.MergeRun;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Plan;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Arrays;

/**
 * Between recipes and {@link MergedWeights}: which methods have learnable coefficients, the function a
 * template recipe stands for, and the recipe that writes learned coefficients back.
 * <ul>
 *   <li>{@code linear} without a base: softmax-weighted models ({@link MergedWeights.Form#SOFTMAX_LINEAR}),
 *       written with normalize on.</li>
 *   <li>The task-vector methods ({@code task_arithmetic}, {@code ties}, {@code dare_ties}, {@code dare_linear},
 *       {@code breadcrumbs}, ...): base + Σ λ_k τ_k ({@link MergedWeights.Form#TASK_VECTORS}), written with
 *       lambda 1 and normalize off so that the per-model weights are the λ. A sparsifying method's τ_k is
 *       taken, once, from the merge code itself: the template merged with weight 1 on model k and 0 on the
 *       others, so that each kept entry, DARE's random mask (keyed by the model's position) and the rescale are
 *       exactly those the written recipe's merge applies. A sign election (TIES: sum, or count with
 *       {@code sign_by_count}) is part of the learned function, recomputed from the current λ at each step
 *       ({@link MergedWeights}), so the written recipe merges to the weights learned with it too.</li>
 * </ul>
 * Only the per-model {@code weight} is learned; other parameters (density, gamma, ...) stay as the template
 * gives them.
 */
public final class LearnableMerge {

    /** Parameters the written recipe sets itself; a template may not fix them otherwise. */
    private static final Set<String> OWNED = Set.of("weight", "lambda", "normalize");

    private LearnableMerge() {}

    /** The form {@code recipe}'s method learns in, or an error naming the method. */
    public static MergedWeights.Form form(Recipe recipe) {
        MergeMethod m;
        try {
            m = MergeMethods.get(recipe.mergeMethod());
        } catch (IllegalArgumentException e) {
            throw new RecipeException("'merge_method': " + e.getMessage());
        }
        if (!recipe.slices().isEmpty()) throw new RecipeException("learning needs 'models' (every layer of every model), not 'slices'");
        return switch (m) {
            case TaskArithmetic t -> {
                if (recipe.baseModel().isEmpty()) throw new RecipeException("'base_model': " + t.name() + " learns task vectors from a base model");
                yield MergedWeights.Form.TASK_VECTORS;
            }
            case Linear l -> {
                if (recipe.baseModel().isPresent()) throw new RecipeException("'base_model': linear is learned as softmax weights over the models, without a base");
                yield MergedWeights.Form.SOFTMAX_LINEAR;
            }
            default -> throw new RecipeException("'merge_method': " + m.name()
                    + " has no learnable coefficients; use linear (no base) or a task-vector method (task_arithmetic, ties, dare_ties, dare_linear, breadcrumbs, ...)");
        };
    }

    /** The method's sparsifier keeps everything: τ = model − base is computed directly. */
    private static boolean sparsifies(Recipe r) {
        return MergeMethods.get(r.mergeMethod()) instanceof TaskArithmetic t && !(t.sparsifier() instanceof Sparsifier.None);
    }

    /**
     * {@code template} with {@code values[k][a]} as the weight gradient of model k (a scalar when there is one
     * anchor), lambda 1 and normalize off for task vectors, normalize on for linear: the recipe whose merge is
     * the learned function. Values are rounded to 4 decimals as
     * the evolve codec rounds them.
     */
    public static Recipe recipe(Recipe template, double[][] values) {
        return recipe(template, CoefficientLayout.of(values.length == 0 ? 1 : values[0].length), values);
    }

    /** {@link #recipe(Recipe, double[][])} with {@code values} laid out by {@code layout}: a filter list per model when it has filters. */
    public static Recipe recipe(Recipe template, CoefficientLayout layout, double[][] values) {
        MergedWeights.Form form = form(template);
        if (values.length != template.models().size()) {
            throw new IllegalArgumentException(values.length + " rows of coefficients for " + template.models().size() + " models");
        }
        List<Recipe.InputModel> models = new ArrayList<>();
        for (int k = 0; k < values.length; k++) {
            Recipe.InputModel m = template.models().get(k);
            Map<String, ParameterSetting> p = new LinkedHashMap<>(m.parameters());
            p.put("weight", layout.setting(values[k]));
            models.add(new Recipe.InputModel(m.model(), p));
        }
        Map<String, ParameterSetting> global = new LinkedHashMap<>(template.parameters());
        if (form == MergedWeights.Form.TASK_VECTORS) {
            global.put("lambda", new ParameterSetting.Scalar(1));
            global.put("normalize", new ParameterSetting.Scalar(0));
        } else {
            global.put("normalize", new ParameterSetting.Scalar(1));
        }
        return new Recipe(template.mergeMethod(), template.baseModel(), models, List.of(), global, template.dtype(), template.outDtype(),
                template.tokenizerSource(), template.folder(), template.stages());
    }

    /**
     * The learnable merge of {@code template} over open {@code inputs} (keyed as the recipe names them),
     * coefficients laid out by {@code layout}, starting at {@code initial}, in a sub-manager of {@code manager}.
     * Every tensor the plan merges is learned; the plan's depths place them on the gradient.
     */
    public static MergedWeights build(Recipe template, Map<String, Checkpoint> inputs, CoefficientLayout layout, double[][] initial,
                                      MergeRun.Options options, NDManager manager) {
        MergedWeights.Form form = form(template);
        for (Recipe.InputModel m : template.models()) {
            for (String k : m.parameters().keySet()) {
                if (k.equals("weight")) continue;
                if (OWNED.contains(k)) throw new RecipeException("model '" + m.model() + "': '" + k + "' is set by the learned recipe");
            }
        }
        // a placeholder weight of 1 for planning: the plan gives each tensor's depth and kind, not values; a staged
        // template's stages are merged here, in memory, once, and their results are models like the others
        Recipe planned = recipe(template, ones(template.models().size(), 1));
        try (MergeRun run = MergeRun.prepare(planned, inputs, options);
             NDManager load = manager.newSubManager()) {
            Map<String, Double> depth = new LinkedHashMap<>();
            for (Plan.Step s : run.plan().steps()) if (s.kind() == Plan.Kind.MERGE) depth.put(s.name(), s.t());
            Map<String, Checkpoint> all = new LinkedHashMap<>(inputs);
            for (int i = 0; i < template.stages().size(); i++) all.put(template.stages().get(i).name(), run.intermediates().get(i));
            Map<String, NDArray> base = null;
            if (form == MergedWeights.Form.TASK_VECTORS) base = load(all.get(template.baseModel().get()), depth.keySet(), load);
            Map<String, Map<String, NDArray>> endpoints = new LinkedHashMap<>();
            for (int k = 0; k < template.models().size(); k++) {
                String label = template.models().get(k).model();
                if (endpoints.containsKey(label)) throw new RecipeException("model '" + label + "' is listed twice");
                if (form == MergedWeights.Form.TASK_VECTORS && sparsifies(template)) {
                    double[][] oneHot = new double[template.models().size()][1];
                    oneHot[k][0] = 1;
                    try (MergeRun one = MergeRun.prepare(recipe(template, oneHot).document(), all, options);
                         MemoryCheckpoint sparse = one.toMemory("sparsified " + label, options, s -> {})) {
                        endpoints.put(label, load(sparse, depth.keySet(), load));
                    }
                } else {
                    endpoints.put(label, load(all.get(label), depth.keySet(), load));
                }
            }
            return MergedWeights.build(form, election(template), base, endpoints, depth, layout, initial, manager);
        }
    }

    /** The sign election the template's merge applies: its method's consensus, by count when {@code sign_by_count} is set. */
    static Consensus election(Recipe template) {
        if (!(MergeMethods.get(template.mergeMethod()) instanceof TaskArithmetic t)) return Consensus.NONE;
        ParameterSetting byCount = template.parameters().get(TaskArithmetic.SIGN_BY_COUNT);
        return t.consensus(byCount instanceof ParameterSetting.Scalar sc && sc.value() != 0);
    }

    private static Map<String, NDArray> load(Checkpoint c, Iterable<String> names, NDManager m) {
        WeightLoader loader = new WeightLoader(c, m);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String n : names) out.put(n, loader.load(n));
        return out;
    }

    static double[][] ones(int models, int anchors) {
        double[][] v = new double[models][anchors];
        for (double[] row : v) Arrays.fill(row, 1);
        return v;
    }
}
