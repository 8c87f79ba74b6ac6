package alloy.recipe;

import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.merge.ParamSpec;
import alloy.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.Locale;

/**
 * Reads and writes mergekit YAML recipes. Every error names the file and the key path
 * ({@code models[1].parameters.density}); unknown keys are refused rather than ignored, since a typo in a
 * parameter name would otherwise merge silently with a default. Anchors, aliases and duplicate keys follow
 * YAML, not Jackson's tree reader ({@link YamlTree}).
 */
public final class RecipeYaml {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private static final Set<String> TOP = Set.of("merge_method", "base_model", "models", "slices", "parameters",
            "dtype", "out_dtype", "tokenizer_source", "chat_template", "name");

    private RecipeYaml() {}

    public static Recipe read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new RecipeException(file + ": cannot read recipe: " + e.getMessage(), e);
        }
        return parse(text, file.toString(), file.toAbsolutePath().getParent());
    }

    /**
     * One recipe, or a staged one: several documents (separated by {@code ---}), every one but the last with a
     * {@code name} that later documents may use as a model. The last document's name, if any, is ignored.
     */
    public static Recipe parse(String text, String label, Path folder) {
        Documents d = documents(text, label, folder);
        Recipe r = document(d.last(), d.lastLabel(), folder);
        if (d.stages().isEmpty()) return r;
        return new Recipe(r.mergeMethod(), r.baseModel(), r.models(), r.slices(), r.parameters(), r.dtype(), r.outDtype(),
                r.tokenizerSource(), r.folder(), d.stages());
    }

    /**
     * The documents of a staged file: every one but the last parsed and checked as a staged recipe's stages, and
     * the last one as read, with the label its errors should carry ({@code last} is null for an empty text).
     * A recipe's last document is a recipe; a learn file's is its learn mapping.
     */
    public record Documents(List<Recipe.Stage> stages, JsonNode last, String lastLabel) {}

    public static Documents documents(String text, String label, Path folder) {
        List<JsonNode> docs = YamlTree.readAll(text, label);
        if (docs.size() <= 1) return new Documents(List.of(), docs.isEmpty() ? null : docs.get(0), label);
        List<Recipe.Stage> stages = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> later = new HashSet<>();
        for (int i = 0; i < docs.size() - 1; i++) {
            JsonNode n = docs.get(i).isObject() ? docs.get(i).get("name") : null;
            if (n != null && n.isTextual()) later.add(n.asText());
        }
        // the last document may use every stage; only the stages can name a result not made yet
        for (int i = 0; i < docs.size() - 1; i++) {
            String where = label + " (document " + (i + 1) + " of " + docs.size() + ")";
            Recipe r = document(docs.get(i), where, folder);
            JsonNode name = docs.get(i).get("name");
            if (name == null || !name.isTextual() || name.asText().isBlank()) {
                throw new RecipeException(where + ": 'name' is missing; every document but the last names its result so that later ones can use it as a model");
            }
            if (!names.add(name.asText())) throw new RecipeException(where + ": 'name': '" + name.asText() + "' is already the name of an earlier document");
            for (String ref : r.referencedModels()) {
                if (later.contains(ref) && !names.contains(ref) || ref.equals(name.asText())) {
                    throw new RecipeException(where + ": model '" + ref + "' is the result of a later document (or of this one); a stage may use only earlier results");
                }
            }
            stages.add(new Recipe.Stage(name.asText(), r));
        }
        return new Documents(stages, docs.get(docs.size() - 1), label + " (document " + docs.size() + " of " + docs.size() + ")");
    }

    private static Recipe document(JsonNode root, String label, Path folder) {
        if (root == null || !root.isObject()) throw new RecipeException(label + ": a recipe is a YAML mapping with merge_method and models or slices");
        Ctx c = new Ctx(label);
        for (var it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!TOP.contains(k)) {
                String hint = k.equals("modules") || k.equals("tokenizer")
                        ? " (mergekit's '" + k + "' section is not supported by Alloy)" : " (known: " + String.join(", ", TOP.stream().sorted().toList()) + ")";
                throw new RecipeException(label + ": unknown key '" + k + "'" + hint);
            }
        }
        if (root.has("chat_template")) {
            // mergekit writes a named or literal Jinja template into the output's tokenizer_config.json; Alloy copies the
            // reference model's tokenizer files unchanged, so the key would be silently dropped: refuse it instead
            throw new RecipeException(label + ": 'chat_template' is not supported: Alloy copies the reference model's tokenizer_config.json "
                    + "(and its chat template) unchanged; remove the key, or set chat_template in the output's tokenizer_config.json after merging");
        }
        String method = c.text(root, "merge_method", true).orElseThrow();
        Optional<String> base = c.text(root, "base_model", false);
        List<Recipe.InputModel> models = new ArrayList<>();
        JsonNode ms = root.get("models");
        if (ms != null) {
            if (!ms.isArray()) throw c.err("models", "must be a list of {model, parameters}");
            for (int i = 0; i < ms.size(); i++) {
                String key = "models[" + i + "]";
                JsonNode m = ms.get(i);
                if (m.isTextual()) {
                    models.add(new Recipe.InputModel(m.asText(), Map.of()));
                    continue;
                }
                c.onlyKeys(m, key, Set.of("model", "parameters"));
                models.add(new Recipe.InputModel(c.text(m, "model", true, key).orElseThrow(), c.params(m.get("parameters"), key + ".parameters")));
            }
        }
        List<Recipe.OutputSlice> slices = new ArrayList<>();
        JsonNode ss = root.get("slices");
        if (ss != null) {
            if (!ss.isArray()) throw c.err("slices", "must be a list of {sources: [...]}");
            for (int i = 0; i < ss.size(); i++) {
                String key = "slices[" + i + "]";
                JsonNode s = ss.get(i);
                c.onlyKeys(s, key, Set.of("sources", "parameters"));
                JsonNode src = s.get("sources");
                if (src == null || !src.isArray() || src.isEmpty()) throw c.err(key + ".sources", "must be a non-empty list");
                List<Recipe.InputSlice> sources = new ArrayList<>();
                for (int j = 0; j < src.size(); j++) {
                    String sk = key + ".sources[" + j + "]";
                    JsonNode e = src.get(j);
                    c.onlyKeys(e, sk, Set.of("model", "layer_range", "parameters"));
                    JsonNode lr = e.get("layer_range");
                    if (lr == null || !lr.isArray() || lr.size() != 2 || !lr.get(0).canConvertToInt() || !lr.get(1).canConvertToInt()) {
                        throw c.err(sk + ".layer_range", "must be [start, end] (end exclusive)");
                    }
                    try {
                        sources.add(new Recipe.InputSlice(c.text(e, "model", true, sk).orElseThrow(), lr.get(0).asInt(), lr.get(1).asInt(),
                                c.params(e.get("parameters"), sk + ".parameters")));
                    } catch (IllegalArgumentException ex) {
                        throw c.err(sk + ".layer_range", ex.getMessage());
                    }
                }
                try {
                    slices.add(new Recipe.OutputSlice(sources, c.params(s.get("parameters"), key + ".parameters")));
                } catch (IllegalArgumentException ex) {
                    throw c.err(key, ex.getMessage());
                }
            }
        }
        if ((ms == null || ms.isEmpty()) == (ss == null || ss.isEmpty())) {
            throw new RecipeException(label + ": give exactly one of 'models' or 'slices'");
        }
        Map<String, ParameterSetting> params = c.params(root.get("parameters"), "parameters");
        Optional<DType> dtype = c.dtype(root, "dtype");
        Optional<DType> outDtype = c.dtype(root, "out_dtype");
        Optional<String> tok = c.text(root, "tokenizer_source", false);
        return new Recipe(method, base, models, slices, params, dtype, outDtype, tok, folder);
    }

    private record Ctx(String label) {
        RecipeException err(String key, String what) { return new RecipeException(label + ": '" + key + "' " + what); }

        Optional<String> text(JsonNode n, String field, boolean required) { return text(n, field, required, ""); }

        Optional<String> text(JsonNode n, String field, boolean required, String parent) {
            String key = parent.isEmpty() ? field : parent + "." + field;
            JsonNode v = n.get(field);
            if (v == null || v.isNull()) {
                if (required) throw err(key, "is missing");
                return Optional.empty();
            }
            if (!v.isValueNode()) throw err(key, "must be a string");
            return Optional.of(v.asText());
        }

        void onlyKeys(JsonNode n, String key, Set<String> allowed) {
            if (!n.isObject()) throw err(key, "must be a mapping");
            for (var it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!allowed.contains(k)) throw err(key + "." + k, "is not a known key (known: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }

        Optional<DType> dtype(JsonNode n, String field) {
            return text(n, field, false).map(s -> {
                try {
                    return DType.fromRecipe(s);
                } catch (IllegalArgumentException e) {
                    throw err(field, e.getMessage());
                }
            });
        }

        Map<String, ParameterSetting> params(JsonNode n, String key) {
            Map<String, ParameterSetting> out = new LinkedHashMap<>();
            if (n == null || n.isNull()) return out;
            if (!n.isObject()) throw err(key, "must be a mapping of parameter names to values");
            n.fields().forEachRemaining(e -> out.put(e.getKey(), setting(e.getValue(), key + "." + e.getKey(), true)));
            return out;
        }

        /** A number of a parameter value; .inf and .nan are YAML numbers but no merge parameter's value. */
        double finite(JsonNode v, String key) {
            double d = v.isBoolean() ? (v.asBoolean() ? 1 : 0) : v.asDouble();
            if (!Double.isFinite(d)) throw err(key, "must be a finite number, found " + d);
            return d;
        }

        ParameterSetting setting(JsonNode v, String key, boolean allowFilters) {
            if (v.isNumber()) return new ParameterSetting.Scalar(finite(v, key));
            if (v.isBoolean()) return new ParameterSetting.Scalar(v.asBoolean() ? 1 : 0);
            if (v.isArray() && !v.isEmpty()) {
                boolean numbers = true;
                for (JsonNode e : v) numbers &= e.isNumber() || e.isBoolean();
                if (numbers) {
                    double[] a = new double[v.size()];
                    for (int i = 0; i < a.length; i++) a[i] = finite(v.get(i), key + "[" + i + "]");
                    return new ParameterSetting.Gradient(a);
                }
                if (!allowFilters) throw err(key, "must be a number or a list of numbers");
                List<ParameterSetting.Condition> conds = new ArrayList<>();
                for (int i = 0; i < v.size(); i++) {
                    JsonNode e = v.get(i);
                    String ek = key + "[" + i + "]";
                    onlyKeys(e, ek, Set.of("filter", "value"));
                    JsonNode val = e.get("value");
                    if (val == null) throw err(ek + ".value", "is missing");
                    JsonNode f = e.get("filter");
                    // a mapping or list has no text: read as "" it would match every tensor
                    if (f != null && !f.isNull() && !f.isValueNode()) throw err(ek + ".filter", "must be a string, found " + f.getNodeType().toString().toLowerCase(Locale.ROOT));
                    conds.add(new ParameterSetting.Condition(f == null || f.isNull() ? null : f.asText(), setting(val, ek + ".value", false)));
                }
                return new ParameterSetting.Filtered(conds);
            }
            if (v.isObject() && v.has("value")) return setting(YAML.createArrayNode().add(v), key, allowFilters);
            throw err(key, "must be a number, true/false, a list of numbers (gradient) or a list of {filter, value}, found " + brief(v));
        }
    }

    /** A value as it appears in an error: its JSON form, cut short (an alias may stand for a large subtree). */
    static String brief(JsonNode v) {
        String s = v.toString();
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /**
     * The recipe as mergekit YAML (sweeps and searches write their winners this way); a staged recipe as one
     * document per stage, each with its name, then the last document.
     */
    public static String write(Recipe r) {
        if (r.stages().isEmpty()) return writeDocument(r, null);
        StringBuilder b = new StringBuilder();
        for (Recipe.Stage st : r.stages()) b.append(writeDocument(st.recipe(), st.name())).append("---\n");
        return b.append(writeDocument(r.document(), null)).toString();
    }

    private static String writeDocument(Recipe r, String name) {
        Set<String> flags = flags(r.mergeMethod());
        Map<String, Object> m = new LinkedHashMap<>();
        if (name != null) m.put("name", name);
        m.put("merge_method", r.mergeMethod());
        r.baseModel().ifPresent(b -> m.put("base_model", b));
        if (!r.models().isEmpty()) {
            List<Object> ms = new ArrayList<>();
            for (Recipe.InputModel im : r.models()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("model", im.model());
                if (!im.parameters().isEmpty()) e.put("parameters", yamlParams(im.parameters(), flags));
                ms.add(e);
            }
            m.put("models", ms);
        } else {
            List<Object> ss = new ArrayList<>();
            for (Recipe.OutputSlice s : r.slices()) {
                List<Object> src = new ArrayList<>();
                for (Recipe.InputSlice is : s.sources()) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("model", is.model());
                    e.put("layer_range", List.of(is.from(), is.to()));
                    if (!is.parameters().isEmpty()) e.put("parameters", yamlParams(is.parameters(), flags));
                    src.add(e);
                }
                Map<String, Object> se = new LinkedHashMap<>();
                se.put("sources", src);
                if (!s.parameters().isEmpty()) se.put("parameters", yamlParams(s.parameters(), flags));
                ss.add(se);
            }
            m.put("slices", ss);
        }
        if (!r.parameters().isEmpty()) m.put("parameters", yamlParams(r.parameters(), flags));
        r.dtype().ifPresent(d -> m.put("dtype", d.torchName()));
        r.outDtype().ifPresent(d -> m.put("out_dtype", d.torchName()));
        r.tokenizerSource().ifPresent(t -> m.put("tokenizer_source", t));
        try {
            return YAML.writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Flags (normalize, rescale, ...) are written as true/false, as mergekit's own configs have them. */
    private static Map<String, Object> yamlParams(Map<String, ParameterSetting> p, Set<String> flags) {
        Map<String, Object> out = new LinkedHashMap<>();
        p.forEach((k, v) -> out.put(k, flags.contains(k) && v instanceof ParameterSetting.Scalar s && (s.value() == 0 || s.value() == 1)
                ? (Object) (s.value() == 1) : v.toYaml()));
        return out;
    }

    private static Set<String> flags(String method) {
        try {
            MergeMethod m = MergeMethods.get(method);
            Set<String> f = new HashSet<>();
            for (ParamSpec ps : m.parameters()) if (ps.kind() == ParamSpec.Kind.FLAG) f.add(ps.name());
            for (ParamSpec ps : m.tensorParameters()) if (ps.kind() == ParamSpec.Kind.FLAG) f.add(ps.name());
            return f;
        } catch (IllegalArgumentException e) {
            return Set.of();
        }
    }
}
