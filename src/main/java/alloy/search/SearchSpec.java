package alloy.search;

import alloy.recipe.CoefficientLayout;
import alloy.recipe.RecipeException;
import alloy.recipe.YamlTree;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.Collections;
import java.util.HashSet;

/**
 * What {@code alloy evolve} searches: the models and method of a mergekit recipe, the parameters to tune
 * with their bounds, how finely (one value per model, per layer group, or per layer; optionally apart for
 * tensors matching filters), the proxy sets and their weights, and the budget. Read from SEARCH.yaml;
 * paths resolve against the file's folder, as in recipes.
 *
 * @param tuned       parameter name to bounds; per-model parameters (weight, density, ...) get values for
 *                    every model, global ones (t, lambda, epsilon) one set
 * @param fixed       recipe-level parameters held fixed (normalize, lambda, ...)
 * @param filters     tensor-name substrings tuned apart (e.g. self_attn, mlp); other tensors share one value
 * @param tasks       proxy set to its weight in the objective: a set name (looked up as {@code alloy eval --tasks}
 *                    does) or a set's folder, as {@code alloy evolve --tasks} writes it
 * @param budget      the most candidates scored (baselines included), when given
 * @param duration    the most wall time the evolution may take, when given
 * @param chain       {@code chain: [i, j, k]}: merge in two stages, models i and j first, then that result with
 *                    model k (a staged recipe, see {@link MergeCodec}); empty: one merge of every model
 * @param pareto      {@code objectives: pareto}: NSGA-II over the tasks' normalised scores, reporting the Pareto
 *                    front; otherwise one weighted objective
 * @param randomSeed  {@code random_seed}: the seed every candidate's DARE/DELLA masks are drawn with, apart from the
 *                    search's {@code seed}; default 0, what {@code alloy merge} and {@code alloy eval} use unless told,
 *                    so that the winner's recipe merges by default to the very model that was scored
 */
public record SearchSpec(String mergeMethod, Optional<String> baseModel, List<String> models, Map<String, Bounds> tuned,
                         Map<String, Double> fixed, Granularity granularity, List<String> filters, Map<String, Double> tasks,
                         Optional<String> profile, int population, int generations, OptionalLong budget,
                         Optional<Duration> duration, long seed, int elites, Optional<String> dtype, boolean pareto, Path folder,
                         List<Integer> chain, long randomSeed) {

    /** Inclusive bounds of one tuned parameter. */
    public record Bounds(double min, double max) {
        public Bounds {
            if (!Double.isFinite(min) || !Double.isFinite(max) || min >= max) {
                throw new IllegalArgumentException("bounds [" + min + ", " + max + "] are empty or not finite");
            }
        }

        public boolean contains(double v) { return v >= min && v <= max; }

        public double clamp(double v) { return Math.max(min, Math.min(max, v)); }
    }

    /** How many values one parameter gets per model: one, one per group of adjacent layers, or one per layer. */
    public sealed interface Granularity {
        /** The number of gradient anchors for a model of {@code layers} layers. */
        int anchors(int layers);

        record PerModel() implements Granularity {
            @Override public int anchors(int layers) { return 1; }
            @Override public String toString() { return "model"; }
        }

        record Groups(int groups) implements Granularity {
            public Groups {
                if (groups < 2) throw new IllegalArgumentException("granularity groups:" + groups + ": at least 2 groups (or 'model')");
            }
            @Override public int anchors(int layers) { return Math.min(groups, layers); }
            @Override public String toString() { return "groups:" + groups; }
        }

        record PerLayer() implements Granularity {
            @Override public int anchors(int layers) { return layers; }
            @Override public String toString() { return "layers"; }
        }

        static Granularity parse(String s) {
            if (s.equals("model")) return new PerModel();
            if (s.equals("layers") || s.equals("layer")) return new PerLayer();
            Matcher m = Pattern.compile("groups:(\\d+)").matcher(s);
            if (m.matches()) return new Groups(Integer.parseInt(m.group(1)));
            throw new IllegalArgumentException("granularity '" + s + "': expected model, layers or groups:N");
        }
    }

    public SearchSpec {
        Objects.requireNonNull(mergeMethod, "merge_method");
        models = List.copyOf(models);
        tuned = Collections.unmodifiableMap(new LinkedHashMap<>(tuned));
        fixed = Collections.unmodifiableMap(new LinkedHashMap<>(fixed));
        filters = List.copyOf(filters);
        CoefficientLayout.checkFilters(filters);
        tasks = Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        if (models.isEmpty()) throw new IllegalArgumentException("'models': at least one model");
        if (tuned.isEmpty()) throw new IllegalArgumentException("'parameters': name at least one parameter to tune, with bounds");
        if (tasks.isEmpty()) throw new IllegalArgumentException("'tasks': at least one proxy set");
        for (var e : tasks.entrySet()) {
            if (!(e.getValue() > 0) || !Double.isFinite(e.getValue())) throw new IllegalArgumentException("'tasks." + e.getKey() + "': weight must be positive, found " + e.getValue());
        }
        if (population < 4) throw new IllegalArgumentException("'population': at least 4, found " + population);
        if (generations < 1) throw new IllegalArgumentException("'generations': at least 1, found " + generations);
        if (elites < 1 || elites > population) throw new IllegalArgumentException("'elites': between 1 and the population, found " + elites);
        Objects.requireNonNull(folder, "folder");
        chain = List.copyOf(chain);
        if (!chain.isEmpty()) {
            if (models.size() != 3 || chain.size() != 3 || !new HashSet<>(chain).equals(Set.of(0, 1, 2))) {
                throw new IllegalArgumentException("'chain': a permutation of [0, 1, 2] over exactly three models (the first two merge first), found "
                        + chain + " over " + models.size() + " models");
            }
        }
    }

    /** The three orders of a pairwise chain over three models: 0+1 then 2, 0+2 then 1, 1+2 then 0. */
    public static List<List<Integer>> chainOrders() { return List.of(List.of(0, 1, 2), List.of(0, 2, 1), List.of(1, 2, 0)); }

    /** The same search as a chain in {@code order}, with {@code budget} candidates or {@code time} (as given). */
    public SearchSpec withChain(List<Integer> order, OptionalLong newBudget, Optional<Duration> newDuration) {
        return new SearchSpec(mergeMethod, baseModel, models, tuned, fixed, granularity, filters, tasks, profile, population, generations,
                newBudget, newDuration, seed, elites, dtype, pareto, folder, order, randomSeed);
    }

    /** The same search over other proxy sets (each a name or a folder, to its weight). */
    public SearchSpec withTasks(Map<String, Double> newTasks) {
        return new SearchSpec(mergeMethod, baseModel, models, tuned, fixed, granularity, filters, newTasks, profile, population, generations,
                budget, duration, seed, elites, dtype, pareto, folder, chain, randomSeed);
    }

    private static final Set<String> KEYS = Set.of("merge_method", "base_model", "models", "parameters", "fixed", "granularity",
            "filters", "tasks", "profile", "population", "generations", "budget", "seed", "elites", "dtype", "objectives", "chain",
            "random_seed");

    public static SearchSpec read(Path file) {
        String text = YamlTree.text(file);
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    public static SearchSpec parse(String text, String label, Path folder) {
        JsonNode root = YamlTree.mapping(text, label, "a search is a YAML mapping (merge_method, models, parameters, tasks)", KEYS);
        try {
            String method = text(root, "merge_method", label);
            Optional<String> base = Optional.ofNullable(root.get("base_model")).map(JsonNode::asText);
            List<String> models = new ArrayList<>();
            JsonNode ms = root.get("models");
            if (ms == null || !ms.isArray()) throw new RecipeException(label + ": 'models' must be a list of model paths");
            for (JsonNode m : ms) models.add(m.isObject() ? text(m, "model", label + " models[]") : m.asText());
            Map<String, Bounds> tuned = new LinkedHashMap<>();
            JsonNode ps = root.get("parameters");
            if (ps == null || !ps.isObject()) throw new RecipeException(label + ": 'parameters' maps each tuned parameter to [min, max]");
            for (var it = ps.fields(); it.hasNext(); ) {
                var e = it.next();
                tuned.put(e.getKey(), bounds(e.getValue(), label + ": 'parameters." + e.getKey() + "'"));
            }
            Map<String, Double> fixed = new LinkedHashMap<>();
            JsonNode fx = root.get("fixed");
            if (fx != null) {
                for (var it = fx.fields(); it.hasNext(); ) {
                    var e = it.next();
                    JsonNode v = e.getValue();
                    if (v.isBoolean()) fixed.put(e.getKey(), v.asBoolean() ? 1.0 : 0.0);
                    else if (v.isNumber()) fixed.put(e.getKey(), v.asDouble());
                    else throw new RecipeException(label + ": 'fixed." + e.getKey() + "' must be a number or true/false, found " + v);
                    if (tuned.containsKey(e.getKey())) throw new RecipeException(label + ": '" + e.getKey() + "' is both tuned and fixed");
                }
            }
            Granularity g = Granularity.parse(Optional.ofNullable(root.get("granularity")).map(JsonNode::asText).orElse("model"));
            List<String> filters = YamlTree.strings(root.get("filters"), "filters", label);
            Map<String, Double> tasks = new LinkedHashMap<>();
            JsonNode ts = root.get("tasks");
            if (ts == null) throw new RecipeException(label + ": 'tasks': name the proxy sets (a list, or a map of set to weight)");
            if (ts.isArray()) ts.forEach(t -> tasks.put(t.asText(), 1.0));
            else if (ts.isObject()) ts.fields().forEachRemaining(e -> tasks.put(e.getKey(), e.getValue().asDouble(Double.NaN)));
            else tasks.put(ts.asText(), 1.0);
            int population = intOr(root, "population", 16, label);
            int generations = intOr(root, "generations", 8, label);
            OptionalLong budget = OptionalLong.empty();
            Optional<Duration> duration = Optional.empty();
            if (root.has("budget")) {
                Object b = parseBudget(root.get("budget").asText(), label);
                if (b instanceof Duration d) duration = Optional.of(d);
                else budget = OptionalLong.of((Long) b);
            }
            return new SearchSpec(method, base, models, tuned, fixed, g, filters, tasks,
                    Optional.ofNullable(root.get("profile")).map(JsonNode::asText), population, generations, budget, duration,
                    root.has("seed") ? root.get("seed").asLong() : 42, intOr(root, "elites", Math.max(1, Math.min(4, population / 4)), label),
                    Optional.ofNullable(root.get("dtype")).map(JsonNode::asText), objectives(root, label), folder, chain(root, label),
                    root.has("random_seed") ? root.get("random_seed").asLong() : 0);
        } catch (IllegalArgumentException e) {
            throw new RecipeException(label + ": " + e.getMessage(), e);
        }
    }

    /**
     * The search as YAML that {@link #parse} reads back to an equal spec, with model paths made absolute so
     * that the copy kept in a run folder resolves them as the original did.
     */
    public String toYaml() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("merge_method", mergeMethod);
        baseModel.ifPresent(b -> m.put("base_model", absolute(b)));
        m.put("models", models.stream().map(this::absolute).toList());
        Map<String, Object> ps = new LinkedHashMap<>();
        tuned.forEach((k, v) -> ps.put(k, List.of(v.min(), v.max())));
        m.put("parameters", ps);
        if (!fixed.isEmpty()) m.put("fixed", fixed);
        m.put("granularity", granularity.toString());
        if (!filters.isEmpty()) m.put("filters", filters);
        m.put("tasks", tasks);
        profile.ifPresent(p -> m.put("profile", p));
        m.put("population", population);
        m.put("generations", generations);
        if (budget.isPresent()) m.put("budget", budget.getAsLong());
        duration.ifPresent(d -> m.put("budget", d.toSeconds() + "s"));
        m.put("seed", seed);
        m.put("random_seed", randomSeed);
        m.put("elites", elites);
        dtype.ifPresent(d -> m.put("dtype", d));
        if (pareto) m.put("objectives", "pareto");
        if (!chain.isEmpty()) m.put("chain", chain);
        try {
            return new ObjectMapper(new YAMLFactory()).writeValueAsString(m).replaceFirst("^---\\n", "");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String absolute(String ref) {
        Path p = folder.resolve(ref);
        return !Path.of(ref).isAbsolute() && Files.exists(p) ? p.normalize().toString() : ref;
    }

    private static List<Integer> chain(JsonNode root, String label) {
        JsonNode c = root.get("chain");
        if (c == null) return List.of();
        if (!c.isArray()) throw new RecipeException(label + ": 'chain' is a list of three model indices, e.g. [0, 1, 2] (models 0 and 1 first, then 2)");
        List<Integer> out = new ArrayList<>();
        for (JsonNode i : c) {
            if (!i.isIntegralNumber()) throw new RecipeException(label + ": 'chain' holds model indices (whole numbers), found " + i);
            out.add(i.asInt());
        }
        return out;
    }

    private static boolean objectives(JsonNode root, String label) {
        String o = Optional.ofNullable(root.get("objectives")).map(JsonNode::asText).orElse("weighted");
        return switch (o) {
            case "weighted" -> false;
            case "pareto" -> true;
            default -> throw new RecipeException(label + ": 'objectives': weighted (one weighted objective) or pareto (NSGA-II over the tasks), found " + o);
        };
    }

    /** A budget as candidates ({@code 200}) or wall time ({@code 20m}, {@code 90s}, {@code 1h}). */
    public static Object parseBudget(String s, String label) {
        Matcher m = Pattern.compile("(\\d+)\\s*(s|m|min|h)?").matcher(s.trim());
        if (!m.matches()) throw new RecipeException(label + ": budget '" + s + "': a number of candidates (200) or a duration (90s, 20m, 1h)");
        long n = Long.parseLong(m.group(1));
        if (m.group(2) == null) {
            if (n < 1) throw new RecipeException(label + ": budget must be at least 1 candidate");
            return n;
        }
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static Bounds bounds(JsonNode v, String where) {
        if (v.isArray() && v.size() == 2 && v.get(0).isNumber() && v.get(1).isNumber()) return new Bounds(v.get(0).asDouble(), v.get(1).asDouble());
        if (v.isObject() && v.has("min") && v.has("max")) return new Bounds(v.get("min").asDouble(), v.get("max").asDouble());
        throw new RecipeException(where + " must be [min, max] or {min: .., max: ..}, found " + v);
    }

    private static String text(JsonNode n, String key, String label) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw new RecipeException(label + ": '" + key + "' is required (a string)");
        return v.asText();
    }

    private static int intOr(JsonNode root, String key, int dflt, String label) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber()) throw new RecipeException(label + ": '" + key + "' must be a whole number, found " + v);
        return v.asInt();
    }
}
