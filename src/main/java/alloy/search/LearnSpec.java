package alloy.search;

import alloy.eval.learn.DecoderLoss;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import alloy.recipe.RecipeYaml;
import alloy.recipe.YamlTree;
import alloy.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * What {@code alloy learn} learns: a template merge (method, base, models with any fixed per-model
 * parameters such as density, fixed global parameters), how finely the per-model weights vary with depth (as
 * evolve's granularity), the proxy sets whose search split gives the loss, and the optimiser's settings. Read
 * from LEARN.yaml; paths resolve against the file's folder, as in recipes. The file may begin with fixed stages,
 * as a multi-document recipe does (each a recipe with a {@code name}); the learn mapping is then its last document.
 *
 * @param template         the merge whose per-model weights are learned (weights in it are ignored), with the
 *                         file's stages, if any, in front
 * @param filters          tensor-name substrings learned apart, as in evolve (e.g. self_attn, mlp; one per tensor kind
 *                         gives every tensor its own coefficient, AdaMerging's layer-wise form); other tensors share one
 * @param init             the starting λ (task vectors) or weight (linear) of every model; empty: the uniform
 *                         merge evolve starts from (1 / models)
 * @param stoppingFraction the part of each set's search split kept out of training for early stopping
 * @param batch            examples of each set per step
 * @param entropy          weight of the answer-entropy term (AdaMerging); 0 leaves it out
 * @param supervised       whether the gold answers are in the loss (off: entropy only)
 * @param objective        what the gold answers' part of a decoder's loss measures: {@code cross_entropy} per token, or
 *                         {@code answer_probability} (1 − P(whole answer), a smooth stand-in for exact match), or
 *                         {@code answer_cross_entropy} (−log P(whole answer), each answer with all its tokens)
 * @param compareWith      evolve run folders whose winner.yaml is scored and tested beside the learned recipe (e.g. one
 *                         searched for as long as learning took and one searched for longer)
 * @param randomSeed       {@code random_seed}: the seed of DARE/DELLA masks in every merge the run makes (a sparsifying
 *                         template's task vectors, the candidates scored), apart from {@code seed}; default 0, as
 *                         {@code alloy merge} uses, so that learned.yaml merges by default to the model scored
 */
public record LearnSpec(Recipe template, SearchSpec.Granularity granularity, List<String> filters, List<String> tasks, Optional<String> profile,
                        OptionalDouble init, int steps, double learningRate, int batch, int evalEvery, int patience,
                        double stoppingFraction, double entropy, boolean supervised, DecoderLoss.Objective objective, Optional<Duration> duration, long seed,
                        int threads, List<Path> compareWith, Path folder, long randomSeed) {

    public LearnSpec {
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(granularity, "granularity");
        filters = List.copyOf(filters);
        CoefficientLayout.checkFilters(filters);
        tasks = List.copyOf(tasks);
        if (tasks.isEmpty()) throw new IllegalArgumentException("'tasks': at least one proxy set");
        if (steps < 1) throw new IllegalArgumentException("'steps': at least 1, found " + steps);
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw new IllegalArgumentException("'learning_rate': must be positive, found " + learningRate);
        if (batch < 1) throw new IllegalArgumentException("'batch': at least 1, found " + batch);
        if (evalEvery < 1) throw new IllegalArgumentException("'eval_every': at least 1, found " + evalEvery);
        if (patience < 1) throw new IllegalArgumentException("'patience': at least 1, found " + patience);
        if (!(stoppingFraction > 0 && stoppingFraction < 1)) throw new IllegalArgumentException("'stopping_fraction': between 0 and 1 (exclusive), found " + stoppingFraction);
        if (!(entropy >= 0) || !Double.isFinite(entropy)) throw new IllegalArgumentException("'entropy': must be >= 0, found " + entropy);
        if (!supervised && entropy == 0) throw new IllegalArgumentException("'supervised: false' needs an 'entropy' weight > 0 (the loss would be empty)");
        Objects.requireNonNull(objective, "objective");
        if (threads < 1) throw new IllegalArgumentException("'threads': at least 1, found " + threads);
        if (init.isPresent() && !Double.isFinite(init.getAsDouble())) throw new IllegalArgumentException("'init': must be a finite number");
        compareWith = List.copyOf(compareWith);
        if (new HashSet<>(compareWith).size() != compareWith.size()) throw new IllegalArgumentException("'compare_with': a run is named twice");
        Objects.requireNonNull(folder, "folder");
    }

    private static final Set<String> KEYS = Set.of("merge_method", "base_model", "models", "parameters", "granularity", "filters", "tasks", "profile",
            "init", "steps", "learning_rate", "batch", "eval_every", "patience", "stopping_fraction", "entropy", "supervised", "objective", "budget",
            "seed", "threads", "compare_with", "dtype", "random_seed");

    public static LearnSpec read(Path file) {
        String text = YamlTree.text(file);
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    public static LearnSpec parse(String text, String label, Path folder) {
        // earlier documents, if any, are fixed stages (recipes with a name) the learned merge may use as models
        RecipeYaml.Documents docs = RecipeYaml.documents(text, label, folder);
        label = docs.lastLabel();
        JsonNode root = YamlTree.mapping(docs.last(), label, "a learn file is a YAML mapping (merge_method, models, tasks)"
                + (docs.stages().isEmpty() ? "" : ", after its stages"), KEYS);
        try {
            JsonNode method = root.get("merge_method");
            if (method == null || !method.isTextual()) throw new RecipeException(label + ": 'merge_method' is required (a string)");
            Optional<String> base = Optional.ofNullable(root.get("base_model")).map(JsonNode::asText);
            JsonNode ms = root.get("models");
            if (ms == null || !ms.isArray() || ms.isEmpty()) throw new RecipeException(label + ": 'models' must be a list of models (paths, or {model, parameters})");
            List<Recipe.InputModel> models = new ArrayList<>();
            for (JsonNode m : ms) {
                if (!m.isObject()) {
                    models.add(new Recipe.InputModel(m.asText(), Map.of()));
                    continue;
                }
                JsonNode name = m.get("model");
                if (name == null || !name.isTextual()) throw new RecipeException(label + ": 'models[]': each entry needs 'model'");
                models.add(new Recipe.InputModel(name.asText(), scalars(m.get("parameters"), label + ": 'models[" + name.asText() + "].parameters'")));
            }
            Map<String, ParameterSetting> global = scalars(root.get("parameters"), label + ": 'parameters'");
            Recipe template = new Recipe(method.asText(), base, models, List.of(), global,
                    Optional.ofNullable(root.get("dtype")).map(JsonNode::asText).map(DType::fromRecipe), Optional.empty(), Optional.empty(), folder,
                    docs.stages());
            List<String> tasks = new ArrayList<>();
            JsonNode ts = root.get("tasks");
            if (ts == null) throw new RecipeException(label + ": 'tasks': name the proxy sets whose search split gives the loss");
            if (ts.isArray()) ts.forEach(t -> tasks.add(t.asText()));
            else tasks.add(ts.asText());
            Optional<Duration> duration = Optional.empty();
            if (root.has("budget")) {
                Object b = SearchSpec.parseBudget(root.get("budget").asText(), label + ": 'budget'");
                if (!(b instanceof Duration d)) throw new RecipeException(label + ": 'budget' of a learn run is a wall time (90s, 20m, 1h), found " + root.get("budget").asText());
                duration = Optional.of(d);
            }
            return new LearnSpec(template,
                    SearchSpec.Granularity.parse(Optional.ofNullable(root.get("granularity")).map(JsonNode::asText).orElse("layers")),
                    YamlTree.strings(root.get("filters"), "filters", label), tasks, Optional.ofNullable(root.get("profile")).map(JsonNode::asText),
                    root.has("init") ? OptionalDouble.of(number(root, "init", label)) : OptionalDouble.empty(),
                    whole(root, "steps", 300, label), root.has("learning_rate") ? number(root, "learning_rate", label) : 0.02,
                    whole(root, "batch", 8, label), whole(root, "eval_every", 10, label), whole(root, "patience", 5, label),
                    root.has("stopping_fraction") ? number(root, "stopping_fraction", label) : 0.25,
                    root.has("entropy") ? number(root, "entropy", label) : 0,
                    !root.has("supervised") || flag(root, "supervised", label),
                    root.has("objective") ? DecoderLoss.Objective.parse(root.get("objective").asText()) : DecoderLoss.Objective.CROSS_ENTROPY, duration,
                    root.has("seed") ? root.get("seed").asLong() : 42, whole(root, "threads", 1, label),
                    runs(root.get("compare_with"), folder, label), folder, root.has("random_seed") ? root.get("random_seed").asLong() : 0);
        } catch (IllegalArgumentException e) {
            throw new RecipeException(label + ": " + e.getMessage(), e);
        }
    }

    /** The same learn run with another seed, budget or mask seed (command-line overrides). */
    public LearnSpec with(Optional<Long> newSeed, Optional<Duration> newBudget, Optional<Long> newRandomSeed) {
        return new LearnSpec(template, granularity, filters, tasks, profile, init, steps, learningRate, batch, evalEvery, patience, stoppingFraction,
                entropy, supervised, objective, newBudget.or(() -> duration), newSeed.orElse(seed), threads, compareWith, folder,
                newRandomSeed.orElse(randomSeed));
    }

    /** compare_with: one run folder or a list of them, relative to the learn file's folder. */
    private static List<Path> runs(JsonNode n, Path folder, String label) {
        if (n == null) return List.of();
        List<Path> out = new ArrayList<>();
        if (n.isTextual()) out.add(folder.resolve(n.asText()).normalize());
        else if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.isTextual()) throw new RecipeException(label + ": 'compare_with' lists run folders, found " + e);
                out.add(folder.resolve(e.asText()).normalize());
            }
        } else throw new RecipeException(label + ": 'compare_with' is a run folder or a list of them, found " + n);
        return out;
    }

    private static Map<String, ParameterSetting> scalars(JsonNode n, String where) {
        Map<String, ParameterSetting> out = new LinkedHashMap<>();
        if (n == null) return out;
        if (!n.isObject()) throw new RecipeException(where + " must be a mapping of parameter to number");
        for (var it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode v = e.getValue();
            if (v.isBoolean()) out.put(e.getKey(), new ParameterSetting.Scalar(v.asBoolean() ? 1 : 0));
            else if (v.isNumber()) out.put(e.getKey(), new ParameterSetting.Scalar(v.asDouble()));
            else throw new RecipeException(where + "." + e.getKey() + " must be a number or true/false, found " + v);
        }
        return out;
    }

    private static double number(JsonNode root, String key, String label) {
        JsonNode v = root.get(key);
        if (!v.isNumber()) throw new RecipeException(label + ": '" + key + "' must be a number, found " + v);
        return v.asDouble();
    }

    private static boolean flag(JsonNode root, String key, String label) {
        JsonNode v = root.get(key);
        if (!v.isBoolean()) throw new RecipeException(label + ": '" + key + "' must be true or false, found " + v);
        return v.asBoolean();
    }

    private static int whole(JsonNode root, String key, int dflt, String label) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber()) throw new RecipeException(label + ": '" + key + "' must be a whole number, found " + v);
        return v.asInt();
    }
}
