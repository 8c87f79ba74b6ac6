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

/**
 * A mergekit-compatible merge recipe. Exactly one of {@code models} (every layer of every model) or
 * {@code slices} (layer ranges, e.g. layer stacking with passthrough) is given. Model references are kept
 * as written; they resolve against {@code folder} (the recipe's directory) when relative.
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
        Path folder) {

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
    }

    static Map<String, ParameterSetting> ordered(Map<String, ParameterSetting> p) {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(p));
    }

    /** Every model the recipe names, base first, each once. */
    public List<String> referencedModels() {
        LinkedHashSet<String> all = new LinkedHashSet<>();
        baseModel.ifPresent(all::add);
        models.forEach(m -> all.add(m.model()));
        slices.forEach(s -> s.sources().forEach(src -> all.add(src.model())));
        return new ArrayList<>(all);
    }

    /**
     * The model that supplies config.json, the tokenizer and the layer layout of the output: the base model
     * when there is one, else the first model named (as mergekit takes its config from the base, else the first).
     */
    public String referenceModel() { return baseModel.orElseGet(() -> referencedModels().get(0)); }

    /** The same recipe with one global parameter replaced (sweeps and searches derive candidates this way). */
    public Recipe withParameter(String name, ParameterSetting value) {
        Map<String, ParameterSetting> p = new LinkedHashMap<>(parameters);
        p.put(name, value);
        return new Recipe(mergeMethod, baseModel, models, slices, p, dtype, outDtype, tokenizerSource, folder);
    }

    /** The same recipe with new models (weights per model, e.g. from a search or a soup). */
    public Recipe withModels(List<InputModel> newModels) {
        return new Recipe(mergeMethod, baseModel, newModels, List.of(), parameters, dtype, outDtype, tokenizerSource, folder);
    }

    public DType computeOutDtype(DType fallback) { return outDtype.or(() -> dtype).orElse(fallback); }
}
