package alloy.search;

import alloy.merge.MergeMethod;
import alloy.merge.ParamSpec;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.tensor.DType;
import io.jenetics.Chromosome;
import io.jenetics.DoubleChromosome;
import io.jenetics.DoubleGene;
import io.jenetics.Genotype;
import io.jenetics.engine.Codec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Genome to recipe. One chromosome per tuned parameter, so genes that share bounds share a chromosome and
 * crossover mixes whole vectors of one parameter. A chromosome holds, for each model (one set for a global
 * parameter such as t or lambda), for each filter group (the filters, then the rest), one value per gradient
 * anchor. Decoding gives an ordinary mergekit recipe whose per-layer values are gradient lists: with one
 * anchor per layer, layer i gets anchor i exactly (mergekit spreads n anchors over depth t = i / (L - 1)).
 * Values are rounded to 4 decimals, so that recipes are readable and equal genomes give equal recipes.
 */
public final class MergeCodec {

    /** One tuned parameter: its chromosome index, whether it is per model, and its bounds. */
    public record Tuned(String name, int chromosome, boolean perModel, SearchSpec.Bounds bounds) {}

    private final SearchSpec spec;
    private final CoefficientLayout layout;
    private final List<Tuned> tuned;
    private final boolean hasDensity;

    /**
     * @param method the merge method, which says which parameters are per model and which are global
     * @param layers the layer count of the reference model
     */
    public MergeCodec(SearchSpec spec, MergeMethod method, int layers) {
        this.spec = spec;
        this.layout = new CoefficientLayout(spec.filters(), spec.granularity().anchors(Math.max(1, layers)));
        List<String> perModel = method.tensorParameters().stream().map(ParamSpec::name).toList();
        List<String> global = method.parameters().stream().map(ParamSpec::name).toList();
        List<Tuned> ts = new ArrayList<>();
        for (var e : spec.tuned().entrySet()) {
            boolean pm = perModel.contains(e.getKey());
            if (!pm && !global.contains(e.getKey())) {
                List<String> known = new ArrayList<>(perModel);
                known.addAll(global);
                throw new IllegalArgumentException("'parameters." + e.getKey() + "': " + method.name() + " has no such parameter (it has " + known + ")");
            }
            ts.add(new Tuned(e.getKey(), ts.size(), pm, e.getValue()));
        }
        this.tuned = List.copyOf(ts);
        this.hasDensity = perModel.contains("density");
    }

    public List<Tuned> tuned() { return tuned; }

    public int anchors() { return layout.anchors(); }

    /** Where each gene of a model sits: filter groups by gradient anchors. */
    public CoefficientLayout layout() { return layout; }

    private int length(Tuned t) { return (t.perModel() ? spec.models().size() : 1) * layout.columns(); }

    /** Random genotypes uniformly within the bounds. */
    public Genotype<DoubleGene> random() {
        List<DoubleChromosome> cs = new ArrayList<>();
        for (Tuned t : tuned) cs.add(DoubleChromosome.of(t.bounds().min(), upper(t), length(t)));
        return Genotype.of(cs);
    }

    public Codec<Recipe, DoubleGene> codec() { return Codec.of(this::random, this::decode); }

    /** The value source of {@link #encode}: parameter, model (-1 for a global parameter) to value. */
    @FunctionalInterface
    public interface Values {
        double value(String parameter, int model);
    }

    /**
     * The genotype whose every gene of parameter p and model i is {@code values(p, i)}, or empty when a value
     * lies outside the parameter's bounds (the baseline is not representable in this search space).
     */
    public Optional<Genotype<DoubleGene>> encode(Values values) {
        List<DoubleChromosome> cs = new ArrayList<>();
        for (Tuned t : tuned) {
            int per = layout.columns();
            DoubleGene[] genes = new DoubleGene[length(t)];
            for (int g = 0; g < genes.length; g++) {
                double v = values.value(t.name(), t.perModel() ? g / per : -1);
                if (!t.bounds().contains(v)) return Optional.empty();
                genes[g] = DoubleGene.of(v, t.bounds().min(), upper(t));
            }
            cs.add(DoubleChromosome.of(genes));
        }
        return Optional.of(Genotype.of(cs));
    }

    /** The recipe with {@code values} everywhere, inside the bounds or not (a baseline such as the uniform merge). */
    public Recipe recipe(Values values) {
        Map<String, ParameterSetting> global = new LinkedHashMap<>();
        spec.fixed().forEach((k, v) -> global.put(k, new ParameterSetting.Scalar(v)));
        List<Recipe.InputModel> models = new ArrayList<>();
        for (int i = 0; i < spec.models().size(); i++) {
            Map<String, ParameterSetting> p = new LinkedHashMap<>();
            for (Tuned t : tuned) if (t.perModel()) p.put(t.name(), new ParameterSetting.Scalar(round(values.value(t.name(), i))));
            models.add(new Recipe.InputModel(spec.models().get(i), p));
        }
        for (Tuned t : tuned) if (!t.perModel()) global.put(t.name(), new ParameterSetting.Scalar(round(values.value(t.name(), -1))));
        return assemble(models, global);
    }

    /**
     * The recipe of {@code models} (in the search's order) with {@code global}: one merge, or, for a {@code chain}
     * search, a staged recipe: the chain's first two models merged into a stage, then that stage (weight 1, every
     * entry kept) merged with the third model, both with the same method and global parameters.
     */
    private Recipe assemble(List<Recipe.InputModel> models, Map<String, ParameterSetting> global) {
        Optional<DType> dtype = spec.dtype().map(DType::fromRecipe);
        if (spec.chain().isEmpty()) return new Recipe(spec.mergeMethod(), spec.baseModel(), models, List.of(), global, dtype, Optional.empty(), Optional.empty(), spec.folder());
        List<Integer> c = spec.chain();
        String name = chainStageName(c);
        Recipe first = new Recipe(spec.mergeMethod(), spec.baseModel(), List.of(models.get(c.get(0)), models.get(c.get(1))), List.of(), global, dtype,
                Optional.empty(), Optional.empty(), spec.folder());
        Map<String, ParameterSetting> pair = new LinkedHashMap<>();
        pair.put("weight", new ParameterSetting.Scalar(1));
        // the stage was sparsified already: the second merge keeps all of it
        if (hasDensity) pair.put("density", new ParameterSetting.Scalar(1));
        return new Recipe(spec.mergeMethod(), spec.baseModel(), List.of(new Recipe.InputModel(name, pair), models.get(c.get(2))), List.of(), global,
                dtype, Optional.empty(), Optional.empty(), spec.folder(), List.of(new Recipe.Stage(name, first)));
    }

    /** The stage's name in a chain's recipe, e.g. {@code chain-0+2} for models 0 and 2 first. */
    public static String chainStageName(List<Integer> chain) { return "chain-" + chain.get(0) + "+" + chain.get(1); }

    public Recipe decode(Genotype<DoubleGene> gt) {
        Map<String, ParameterSetting> global = new LinkedHashMap<>();
        spec.fixed().forEach((k, v) -> global.put(k, new ParameterSetting.Scalar(v)));
        List<Map<String, ParameterSetting>> perModel = new ArrayList<>();
        for (int i = 0; i < spec.models().size(); i++) perModel.add(new LinkedHashMap<>());
        for (Tuned t : tuned) {
            var c = gt.get(t.chromosome());
            int per = layout.columns();
            if (t.perModel()) {
                for (int i = 0; i < spec.models().size(); i++) perModel.get(i).put(t.name(), setting(c, i * per));
            } else {
                global.put(t.name(), setting(c, 0));
            }
        }
        List<Recipe.InputModel> models = new ArrayList<>();
        for (int i = 0; i < spec.models().size(); i++) models.add(new Recipe.InputModel(spec.models().get(i), perModel.get(i)));
        return assemble(models, global);
    }

    private ParameterSetting setting(Chromosome<DoubleGene> c, int from) {
        double[] row = new double[layout.columns()];
        for (int i = 0; i < row.length; i++) row[i] = c.get(from + i).doubleValue();
        return layout.setting(row);
    }

    /** Jenetics' gene range excludes its upper end; the search's bounds include theirs (density 1, weight 1). */
    private static double upper(Tuned t) { return Math.nextUp(t.bounds().max()); }

    static double round(double v) { return Math.round(v * 1e4) / 1e4; }
}
