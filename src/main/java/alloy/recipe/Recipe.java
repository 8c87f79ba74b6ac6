package alloy.recipe;

import alloy.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * A mergekit-compatible merge recipe. Exactly one of {@code models} (every layer of every model) or
 * {@code slices} (layer ranges, e.g. layer stacking with passthrough) is given. Model references are kept
 * as written; they resolve against {@code folder} (the recipe's directory) when relative.
 *
 * <p>A staged recipe (mergekit's multi-document YAML) is the last document with the earlier ones as
 * {@code stages}: each stage is a merge with a {@code name}, and a later document may use that name as a
 * model. {@link MergeRun} merges the stages in memory, in order, before the last document.
 */
public record Recipe(
        String mergeMethod,
        Optional<String> baseModel,
        List<InputModel> models,
        List<OutputSlice> slices,
        Map<String, ParameterSetting> parameters,
        Optional<DType> dtype,
        Optional<DType> outDtype,
        Optional<String> tokenizerSource,
        Path folder,
        List<Stage> stages) {

    /** An earlier document of a staged recipe: a single-document merge whose result later documents call {@code name}. */
    public record Stage(String name, Recipe recipe) {
        public Stage {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) throw new IllegalArgumentException("a stage needs a non-blank name");
            Objects.requireNonNull(recipe, "recipe of stage " + name);
            if (!recipe.stages().isEmpty()) throw new IllegalArgumentException("stage '" + name + "' is itself staged; stages are flat");
        }
    }

    /** A single-document recipe. */
    public Recipe(String mergeMethod, Optional<String> baseModel, List<InputModel> models, List<OutputSlice> slices,
                  Map<String, ParameterSetting> parameters, Optional<DType> dtype, Optional<DType> outDtype,
                  Optional<String> tokenizerSource, Path folder) {
        this(mergeMethod, baseModel, models, slices, parameters, dtype, outDtype, tokenizerSource, folder, List.of());
    }

    public record InputModel(String model, Map<String, ParameterSetting> parameters) {
        public InputModel {
            Objects.requireNonNull(model, "model");
            parameters = ordered(parameters);
        }
    }

    public record InputSlice(String model, int from, int to, Map<String, ParameterSetting> parameters) {
        public InputSlice {
            Objects.requireNonNull(model, "model");
            if (from < 0 || to <= from) throw new IllegalArgumentException("layer_range [" + from + ", " + to + "] of " + model + " is empty or negative");
            parameters = ordered(parameters);
        }

        public int length() { return to - from; }
    }

    public record OutputSlice(List<InputSlice> sources, Map<String, ParameterSetting> parameters) {
        public OutputSlice {
            sources = List.copyOf(sources);
            if (sources.isEmpty()) throw new IllegalArgumentException("a slice needs at least one source");
            int n = sources.get(0).length();
            for (InputSlice s : sources) {
                if (s.length() != n) {
                    throw new IllegalArgumentException("all sources of a slice need the same number of layers: "
                            + sources.get(0).model() + " has " + n + ", " + s.model() + " has " + s.length());
                }
            }
            parameters = ordered(parameters);
        }
    }

    public Recipe {
        Objects.requireNonNull(mergeMethod, "merge_method");
        models = List.copyOf(models);
        slices = List.copyOf(slices);
        parameters = ordered(parameters);
        if (models.isEmpty() == slices.isEmpty()) {
            throw new IllegalArgumentException("exactly one of 'models' or 'slices' must be given");
        }
        Objects.requireNonNull(folder, "folder");
        stages = List.copyOf(stages);
        Set<String> names = new HashSet<>();
        for (Stage st : stages) {
            if (!names.add(st.name())) throw new IllegalArgumentException("two stages are named '" + st.name() + "'");
        }
    }

    /** This recipe's own document: the last merge of a staged recipe, without its stages. */
    public Recipe document() {
        return stages.isEmpty() ? this : new Recipe(mergeMethod, baseModel, models, slices, parameters, dtype, outDtype, tokenizerSource, folder);
    }

    /** The recipe whose result is stage {@code name}: its document, after the stages before it. */
    public Recipe stage(String name) {
        for (int i = 0; i < stages.size(); i++) {
            Recipe r = stages.get(i).recipe();
            if (stages.get(i).name().equals(name)) {
                return new Recipe(r.mergeMethod, r.baseModel, r.models, r.slices, r.parameters, r.dtype, r.outDtype, r.tokenizerSource, r.folder,
                        stages.subList(0, i));
            }
        }
        throw new IllegalArgumentException("no stage named '" + name + "' (stages: " + stageNames() + ")");
    }

    /** The names the stages give their results, in order. */
    public List<String> stageNames() { return stages.stream().map(Stage::name).toList(); }

    /** Models this document names, base first, each once (stage names included). */
    private List<String> documentModels() {
        LinkedHashSet<String> all = new LinkedHashSet<>();
        baseModel.ifPresent(all::add);
        models.forEach(m -> all.add(m.model()));
        slices.forEach(s -> s.sources().forEach(src -> all.add(src.model())));
        return new ArrayList<>(all);
    }

    static Map<String, ParameterSetting> ordered(Map<String, ParameterSetting> p) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(p));
    }

    /**
     * Every model the recipe reads from disk, base first, each once: for a staged recipe, the models of every
     * stage and of the last document, without the names of stages.
     */
    public List<String> referencedModels() {
        if (stages.isEmpty()) return documentModels();
        LinkedHashSet<String> all = new LinkedHashSet<>();
        Set<String> names = new HashSet<>(stageNames());
        for (Stage st : stages) all.addAll(st.recipe().documentModels());
        all.addAll(documentModels());
        all.removeAll(names);
        return new ArrayList<>(all);
    }

    /**
     * The model that supplies config.json, the tokenizer and the layer layout of the output: the base model
     * when there is one, else the first model named (as mergekit takes its config from the base, else the first).
     */
    public String referenceModel() {
        String ref = baseModel.orElseGet(() -> documentModels().get(0));
        // a stage's result takes its config from its own reference model, so follow the name down to a file
        for (int i = stages.size() - 1; i >= 0; i--) {
            Stage st = stages.get(i);
            if (st.name().equals(ref)) ref = st.recipe().baseModel().orElseGet(() -> st.recipe().documentModels().get(0));
        }
        return ref;
    }

    /** The same recipe with one global parameter replaced (sweeps and searches derive candidates this way). */
    public Recipe withParameter(String name, ParameterSetting value) {
        Map<String, ParameterSetting> p = new LinkedHashMap<>(parameters);
        p.put(name, value);
        return new Recipe(mergeMethod, baseModel, models, slices, p, dtype, outDtype, tokenizerSource, folder, stages);
    }

    /** The same recipe with new models (weights per model, e.g. from a search or a soup). */
    public Recipe withModels(List<InputModel> newModels) {
        return new Recipe(mergeMethod, baseModel, newModels, List.of(), parameters, dtype, outDtype, tokenizerSource, folder, stages);
    }

    public DType computeOutDtype(DType fallback) { return outDtype.or(() -> dtype).orElse(fallback); }
}
