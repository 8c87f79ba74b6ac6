package alloy.search;

import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which recipe value a sweep moves: a global parameter ({@code t}, {@code lambda}) or one model's
 * ({@code models[1].weight}). A sweep point replaces that value with a scalar; a complement target gets
 * {@code 1 - x} at the same time (two-model linear ratios: {@code models[0].weight} = 1 - x).
 */
public record ParamTarget(String name, int model) {

    private static final Pattern PER_MODEL = Pattern.compile("models\\[(\\d+)]\\.(\\w+)");

    public static ParamTarget parse(String spec) {
        Matcher m = PER_MODEL.matcher(spec.trim());
        if (m.matches()) return new ParamTarget(m.group(2), Integer.parseInt(m.group(1)));
        if (!spec.trim().matches("\\w+")) {
            throw new IllegalArgumentException("--param '" + spec + "': expected a parameter name (t, lambda) or models[i].name");
        }
        return new ParamTarget(spec.trim(), -1);
    }

    public boolean global() { return model < 0; }

    public Recipe apply(Recipe r, double x) {
        ParameterSetting v = new ParameterSetting.Scalar(x);
        if (global()) return r.withParameter(name, v);
        if (r.models().isEmpty()) throw new IllegalArgumentException("--param " + this + ": the recipe uses slices, not models");
        if (model >= r.models().size()) {
            throw new IllegalArgumentException("--param " + this + ": the recipe lists " + r.models().size() + " models");
        }
        List<Recipe.InputModel> ms = new ArrayList<>(r.models());
        Recipe.InputModel old = ms.get(model);
        Map<String, ParameterSetting> p = new LinkedHashMap<>(old.parameters());
        p.put(name, v);
        ms.set(model, new Recipe.InputModel(old.model(), p));
        return r.withModels(ms);
    }

    @Override public String toString() { return global() ? name : "models[" + model + "]." + name; }
}
