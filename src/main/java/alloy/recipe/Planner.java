package alloy.recipe;

import alloy.arch.LayerLayout;
import alloy.arch.WeightName;
import alloy.io.Checkpoint;
import alloy.io.TensorInfo;
import alloy.merge.MergeMethod;
import alloy.merge.ParamSpec;
import alloy.merge.Params;
import alloy.tensor.DType;
import alloy.tensor.MachineMemory;
import alloy.tensor.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Checks a recipe against its method and its inputs' headers and turns it into a {@link Plan}. Everything
 * that can be known without reading tensor data is checked here (method, parameter names and values,
 * missing tensors, shapes, dtypes), so a typo fails in seconds rather than an hour into a merge.
 *
 * <p>Depth for gradients follows mergekit's planner: layer i of a stack (or slice) of L layers has
 * t = i / (L - 1), a one-layer slice has t = 1, and tensors outside the layers (embeddings, final norm,
 * lm_head) have t = 0. A per-model parameter is looked up in the model's (or slice source's) own
 * parameters, then the slice's, then the recipe's, then the method's default.
 */
public final class Planner {

    private final Recipe recipe;
    private final MergeMethod method;
    private final Map<String, Checkpoint> inputs;
    private final List<String> notes = new ArrayList<>();

    private Planner(Recipe recipe, MergeMethod method, Map<String, Checkpoint> inputs) {
        this.recipe = recipe;
        this.method = method;
        this.inputs = inputs;
    }

    /** {@code inputs}: every model the recipe references, opened, keyed by the reference as written. */
    public static Plan plan(Recipe recipe, MergeMethod method, Map<String, Checkpoint> inputs) {
        for (String m : recipe.referencedModels()) {
            if (!inputs.containsKey(m)) throw new IllegalArgumentException("model '" + m + "' was not opened");
        }
        return new Planner(recipe, method, inputs).plan();
    }

    private Plan plan() {
        checkMethod();
        checkParameterNames();
        List<Plan.Step> steps = new ArrayList<>();
        int outLayers = recipe.models().isEmpty() ? planSlices(steps) : planModels(steps);
        Checkpoint ref = reference();
        DType fallback = ref.tensors().stream().map(TensorInfo::dtype).filter(DType::arithmetic).findFirst().orElse(DType.F32);
        DType out = recipe.computeOutDtype(fallback);
        List<Plan.Step> typed = steps.stream()
                .map(s -> s.kind() == Plan.Kind.MERGE && s.dtype() == null
                        ? new Plan.Step(s.name(), s.kind(), s.shape(), out, s.sources(), s.base(), s.global(), s.perModel(), s.t()) : s)
                .toList();
        return new Plan(recipe, method, typed, out, outLayers, notes);
    }

    private RecipeException err(String msg) { return new RecipeException(msg); }

    private boolean baseUsed() { return recipe.baseModel().isPresent() && method.base() != MergeMethod.BaseUse.UNUSED; }

    private void checkMethod() {
        if (method.base() == MergeMethod.BaseUse.REQUIRED && recipe.baseModel().isEmpty()) {
            throw err("merge_method '" + method.name() + "' needs base_model");
        }
        if (method.base() == MergeMethod.BaseUse.UNUSED && recipe.baseModel().isPresent()) {
            notes.add("base_model is not used by " + method.name() + "; it only supplies config and tokenizer");
        }
        List<String> models = recipe.models().isEmpty()
                ? recipe.slices().get(0).sources().stream().map(Recipe.InputSlice::model).toList()
                : recipe.models().stream().map(Recipe.InputModel::model).toList();
        long nonBase = models.stream().filter(m -> !(baseUsed() && m.equals(recipe.baseModel().get()))).count();
        if (nonBase < method.minModels() || nonBase > method.maxModels()) {
            String range = method.minModels() == method.maxModels() ? "exactly " + method.minModels()
                    : method.maxModels() == Integer.MAX_VALUE ? "at least " + method.minModels() : method.minModels() + " to " + method.maxModels();
            throw err("merge_method '" + method.name() + "' takes " + range + " model(s) besides the base, the recipe gives " + nonBase);
        }
    }

    private void checkParameterNames() {
        Set<String> global = names(method.parameters()), perModel = names(method.tensorParameters());
        Set<String> all = new HashSet<>(global);
        all.addAll(perModel);
        checkKeys(recipe.parameters(), "parameters", all);
        for (int i = 0; i < recipe.models().size(); i++) checkKeys(recipe.models().get(i).parameters(), "models[" + i + "].parameters", perModel, global);
        for (int i = 0; i < recipe.slices().size(); i++) {
            Recipe.OutputSlice s = recipe.slices().get(i);
            checkKeys(s.parameters(), "slices[" + i + "].parameters", all);
            for (int j = 0; j < s.sources().size(); j++) checkKeys(s.sources().get(j).parameters(), "slices[" + i + "].sources[" + j + "].parameters", perModel, global);
        }
    }

    private static Set<String> names(List<ParamSpec> specs) {
        Set<String> s = new HashSet<>();
        specs.forEach(p -> s.add(p.name()));
        return s;
    }

    private void checkKeys(Map<String, ParameterSetting> given, String key, Set<String> allowed) {
        for (String k : given.keySet()) {
            if (!allowed.contains(k)) {
                throw err("'" + key + "." + k + "': merge_method '" + method.name() + "' has no parameter '" + k + "' (it takes: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        checkValues(given, key);
    }

    /**
     * Every number the recipe writes for a parameter against the method's range for it. Checking what is
     * written covers every value planned: gradients interpolate between their anchors, filters pick one.
     */
    private void checkValues(Map<String, ParameterSetting> given, String key) {
        for (var e : given.entrySet()) {
            ParamSpec spec = spec(e.getKey());
            if (spec == null) continue;
            e.getValue().written().forEach(v -> spec.problem(v).ifPresent(p ->
                    { throw err("'" + key + "." + e.getKey() + "': " + method.name() + "'s " + e.getKey() + " " + p); }));
        }
    }

    private ParamSpec spec(String name) {
        for (ParamSpec p : method.tensorParameters()) if (p.name().equals(name)) return p;
        for (ParamSpec p : method.parameters()) if (p.name().equals(name)) return p;
        return null;
    }

    private void checkKeys(Map<String, ParameterSetting> given, String key, Set<String> perModel, Set<String> global) {
        for (String k : given.keySet()) {
            if (global.contains(k) && !perModel.contains(k)) {
                throw err("'" + key + "." + k + "': '" + k + "' is a global parameter of " + method.name() + "; put it under the recipe's top-level parameters");
            }
        }
        checkKeys(given, key, perModel);
    }

    private Checkpoint reference() {
        return inputs.get(recipe.referenceModel());
    }

    // ---- models: every layer of every model -------------------------------------------------------------

    private int planModels(List<Plan.Step> steps) {
        Checkpoint ref = reference();
        LayerLayout layout = LayerLayout.of(ref);
        checkSameLayers(ref, layout);
        List<Recipe.InputModel> models = recipe.models();
        for (TensorInfo ti : ref.tensors()) {
            WeightName wn = WeightName.parse(ti.name());
            double t = layout.depth(wn);
            List<Plan.Source> sources = new ArrayList<>();
            List<Map<String, ParameterSetting>> own = new ArrayList<>();
            for (Recipe.InputModel m : models) {
                boolean isBase = baseUsed() && m.model().equals(recipe.baseModel().get());
                sources.add(new Plan.Source(m.model(), ti.name(), isBase));
                own.add(m.parameters());
            }
            Optional<Plan.Source> base = baseUsed() ? Optional.of(new Plan.Source(recipe.baseModel().get(), ti.name(), true)) : Optional.empty();
            steps.add(step(ti.name(), ti.name(), sources, base, own, Map.of(), t));
        }
        for (Recipe.InputModel m : models) {
            Checkpoint c = inputs.get(m.model());
            long extra = c.tensors().stream().filter(x -> !ref.has(x.name())).count();
            if (extra > 0) notes.add(extra + " tensor(s) of '" + m.model() + "' are not in '" + ref.label() + "' and are left out");
        }
        return layout.numLayers();
    }

    /**
     * Every model merged whole must have the reference's layer stacks. Without this check the order of the
     * recipe decided: a smaller reference left the other's extra layers out with a note, a larger one failed
     * on the first missing tensor. mergekit merges by the base's (or first model's) architecture and fails on
     * a missing tensor; here neither order merges, and the message says which layers differ.
     */
    private void checkSameLayers(Checkpoint ref, LayerLayout layout) {
        String refName = recipe.baseModel().orElseGet(() -> recipe.models().get(0).model());
        for (String m : recipe.referencedModels()) {
            Checkpoint c = inputs.get(m);
            if (c == ref) continue;
            Map<String, Integer> theirs = LayerLayout.of(c).containers(), ours = layout.containers();
            if (theirs.equals(ours)) continue;
            Set<String> stacks = new TreeSet<>(ours.keySet());
            stacks.addAll(theirs.keySet());
            for (String stack : stacks) {
                int a = ours.getOrDefault(stack, 0), b = theirs.getOrDefault(stack, 0);
                if (a == b) continue;
                Checkpoint larger = a > b ? ref : c;
                int first = Math.min(a, b);
                String example = larger.tensors().stream().map(TensorInfo::name)
                        .filter(n -> { WeightName w = WeightName.parse(n); return w.container().equals(stack) && w.layer().orElse(-1) >= first; })
                        .findFirst().orElse(stack + "." + first);
                throw err("models have different layer counts: '" + refName + "' has " + a + " layer(s) under '" + stack + "', '" + m
                        + "' has " + b + " ('" + example + "' is only in '" + (larger == ref ? refName : m)
                        + "'); give slices with layer_range to say which layers to take");
            }
        }
    }

    // ---- slices: layer ranges stacked into a new model ----------------------------------------------------

    private int planSlices(List<Plan.Step> steps) {
        List<Recipe.OutputSlice> slices = recipe.slices();
        Checkpoint first = inputs.get(slices.get(0).sources().get(0).model());
        LayerLayout layout = LayerLayout.of(first);
        String main = layout.mainContainer();
        List<Plan.Step> pre = new ArrayList<>(), post = new ArrayList<>(), layers = new ArrayList<>();
        // Tensors outside the main stack come from the first slice's sources (embeddings) or the last slice's
        // (final norm, lm_head), as mergekit's pre_weights / post_weights do.
        for (TensorInfo ti : first.tensors()) {
            WeightName wn = WeightName.parse(ti.name());
            if (wn.layer().isPresent() && wn.container().equals(main)) continue;
            boolean isPre = ti.name().contains("embed") || wn.layer().isPresent();
            Recipe.OutputSlice s = isPre ? slices.get(0) : slices.get(slices.size() - 1);
            (isPre ? pre : post).add(sliceStep(ti.name(), s, src -> ti.name(), 0));
        }
        int out = 0;
        for (int si = 0; si < slices.size(); si++) {
            Recipe.OutputSlice s = slices.get(si);
            Recipe.InputSlice lead = s.sources().get(0);
            Checkpoint leadModel = inputs.get(lead.model());
            int available = LayerLayout.of(leadModel).containers().getOrDefault(main, 0);
            for (Recipe.InputSlice src : s.sources()) {
                int have = LayerLayout.of(inputs.get(src.model())).containers().getOrDefault(main, 0);
                if (src.to() > have) {
                    throw err("'slices[" + si + "]': layer_range [" + src.from() + ", " + src.to() + "] of '" + src.model()
                            + "' goes past its " + have + " layers");
                }
            }
            int n = lead.length();
            for (int idx = 0; idx < n; idx++) {
                double t = n > 1 ? idx / (double) (n - 1) : 1;
                int srcLayer = lead.from() + idx;
                for (TensorInfo ti : leadModel.tensors()) {
                    WeightName wn = WeightName.parse(ti.name());
                    if (wn.layer().isEmpty() || !wn.container().equals(main) || wn.layer().getAsInt() != srcLayer) continue;
                    int offset = idx;
                    String outName = wn.withLayer(out);
                    layers.add(sliceStep(outName, s, src -> wn.withLayer(src.from() + offset), t));
                }
                out++;
            }
            if (available == 0) throw err("'slices[" + si + "]': model '" + lead.model() + "' has no layers under '" + main + "'");
        }
        steps.addAll(pre);
        steps.addAll(layers);
        steps.addAll(post);
        return out;
    }

    private Plan.Step sliceStep(String outName, Recipe.OutputSlice s, Function<Recipe.InputSlice, String> nameIn, double t) {
        List<Plan.Source> sources = new ArrayList<>();
        List<Map<String, ParameterSetting>> own = new ArrayList<>();
        Optional<Plan.Source> base = Optional.empty();
        for (Recipe.InputSlice src : s.sources()) {
            boolean isBase = baseUsed() && src.model().equals(recipe.baseModel().get());
            Plan.Source so = new Plan.Source(src.model(), nameIn.apply(src), isBase);
            if (isBase) base = Optional.of(so);
            sources.add(so);
            own.add(src.parameters());
        }
        if (baseUsed() && base.isEmpty()) {
            throw err("merge_method '" + method.name() + "' with slices needs base_model '" + recipe.baseModel().get()
                    + "' among each slice's sources");
        }
        return step(outName, sources.get(0).tensor(), sources, base, own, s.parameters(), t);
    }

    // ---- one tensor ----------------------------------------------------------------------------------------

    private Plan.Step step(String outName, String paramName, List<Plan.Source> sources, Optional<Plan.Source> base,
                           List<Map<String, ParameterSetting>> own, Map<String, ParameterSetting> sliceParams, double t) {
        List<Plan.Source> all = new ArrayList<>(sources);
        base.filter(b -> sources.stream().noneMatch(s -> s.model().equals(b.model()))).ifPresent(all::add);
        List<TensorInfo> infos = new ArrayList<>();
        for (Plan.Source s : all) {
            Checkpoint c = inputs.get(s.model());
            infos.add(c.find(s.tensor()).orElseThrow(() -> err("tensor '" + s.tensor() + "' is missing from model '" + s.model()
                    + "' (" + c.label() + ") but present in '" + all.get(0).model() + "'")));
        }
        TensorInfo lead = infos.get(0);
        if (!lead.dtype().arithmetic()) {
            for (int i = 1; i < infos.size(); i++) {
                if (infos.get(i).dtype() != lead.dtype() || !infos.get(i).shape().equals(lead.shape())) {
                    throw err("tensor '" + lead.name() + "' has dtype " + lead.dtype() + " (copied, not merged) in '" + all.get(0).model()
                            + "' but " + infos.get(i).dtype() + " " + infos.get(i).shape() + " in '" + all.get(i).model() + "'");
                }
            }
            return new Plan.Step(outName, Plan.Kind.COPY, lead.shape(), lead.dtype(), List.of(sources.get(0)), Optional.empty(),
                    Params.EMPTY, List.of(), t);
        }
        for (int i = 0; i < infos.size(); i++) {
            if (!infos.get(i).dtype().arithmetic()) {
                throw err("tensor '" + infos.get(i).name() + "' of '" + all.get(i).model() + "' has dtype " + infos.get(i).dtype()
                        + ", which cannot be merged with " + lead.dtype());
            }
        }
        Shape shape = commonShape(outName, all, infos);
        if (!MachineMemory.fitsFloat32(shape.numel())) {
            throw err("tensor '" + outName + "' " + shape + " needs " + MachineMemory.human(MachineMemory.float32Bytes(shape.numel()))
                    + " as float32 to merge, more than this machine's " + MachineMemory.human(MachineMemory.total()) + " of memory");
        }
        Params global = resolveGlobal(paramName, sliceParams, t);
        List<Params> perModel = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            perModel.add(resolvePerModel(paramName, sources.get(i), own.get(i), sliceParams, t));
        }
        return new Plan.Step(outName, Plan.Kind.MERGE, shape, null, sources, base, global, perModel, t);
    }

    /**
     * Equal shapes, or for embedding / lm_head matrices of different vocabulary sizes the largest common
     * sub-matrix (mergekit's rectify_embed_sizes); any other difference is an error.
     */
    private Shape commonShape(String outName, List<Plan.Source> all, List<TensorInfo> infos) {
        Shape first = infos.get(0).shape();
        boolean same = infos.stream().allMatch(i -> i.shape().equals(first));
        if (same) return first;
        WeightName wn = WeightName.parse(outName);
        if (wn.isVocabulary() && infos.stream().allMatch(i -> i.shape().rank() == 2)) {
            long rows = infos.stream().mapToLong(i -> i.shape().dim(0)).min().orElseThrow();
            long cols = infos.stream().mapToLong(i -> i.shape().dim(1)).min().orElseThrow();
            Shape s = Shape.of(rows, cols);
            notes.add("vocabulary sizes differ for '" + outName + "': using the common " + s
                    + " sub-matrix (as mergekit does); tokens past row " + rows + " are dropped, so use the smallest model's tokenizer");
            return s;
        }
        for (int i = 1; i < infos.size(); i++) {
            if (!infos.get(i).shape().equals(first)) {
                throw err("tensor '" + infos.get(0).name() + "': shape " + first + " in '" + all.get(0).model() + "' but "
                        + infos.get(i).shape() + " in '" + all.get(i).model() + "'");
            }
        }
        throw new AssertionError();
    }

    private Params resolveGlobal(String tensor, Map<String, ParameterSetting> sliceParams, double t) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (ParamSpec p : method.parameters()) {
            OptionalDouble x = lookup(tensor, t, p.name(), sliceParams, recipe.parameters());
            if (x.isPresent()) v.put(p.name(), x.getAsDouble());
            else if (!p.isRequired()) v.put(p.name(), p.defaultValue());
            else throw err("merge_method '" + method.name() + "' needs parameter '" + p.name() + "' (under parameters), none applies to tensor '" + tensor + "'");
        }
        return new Params(v);
    }

    private Params resolvePerModel(String tensor, Plan.Source src, Map<String, ParameterSetting> own,
                                   Map<String, ParameterSetting> sliceParams, double t) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (ParamSpec p : method.tensorParameters()) {
            OptionalDouble x = lookup(tensor, t, p.name(), own, sliceParams, recipe.parameters());
            if (x.isPresent()) v.put(p.name(), x.getAsDouble());
            else if (!p.isRequired()) v.put(p.name(), p.defaultValue());
            else if (!src.isBase()) {
                throw err("model '" + src.model() + "': merge_method '" + method.name() + "' needs parameter '" + p.name()
                        + "' for each model, none applies to tensor '" + tensor + "'");
            }
        }
        return new Params(v);
    }

    @SafeVarargs
    private static OptionalDouble lookup(String tensor, double t, String name, Map<String, ParameterSetting>... levels) {
        for (Map<String, ParameterSetting> level : levels) {
            ParameterSetting s = level.get(name);
            if (s != null) {
                OptionalDouble v = s.evaluate(tensor, t);
                if (v.isPresent()) return v;
            }
        }
        return OptionalDouble.empty();
    }
}
