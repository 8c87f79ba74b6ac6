package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** YAML as YAML defines it: anchors and aliases resolve, merge keys apply, duplicate keys are refused. */
class RecipeYamlTest {

    static Recipe parse(String yaml) { return RecipeYaml.parse(yaml, "r.yaml", Path.of(".")); }

    static RecipeException refused(String yaml) { return assertThrows(RecipeException.class, () -> parse(yaml)); }

    @Test
    void aliasOfAFilterIsTheAnchoredText() {
        Recipe r = parse("""
                merge_method: linear
                models:
                  - model: a
                    parameters:
                      weight:
                        - filter: &attn mlp
                          value: 0.25
                        - value: 1
                  - model: b
                    parameters:
                      weight:
                        - filter: *attn
                          value: 0.75
                        - value: 1
                """);
        ParameterSetting.Filtered f = (ParameterSetting.Filtered) r.models().get(1).parameters().get("weight");
        assertEquals("mlp", f.conditions().get(0).filter());
        assertEquals(OptionalDouble.of(0.75), f.evaluate("model.layers.0.mlp.up_proj.weight", 0));
        assertEquals(OptionalDouble.of(1), f.evaluate("model.layers.0.attn.q.weight", 0), "never the literal anchor name");
    }

    @Test
    void scalarAndMappingAliasesResolve() {
        Recipe r = parse("""
                merge_method: ties
                base_model: base
                models:
                  - model: a
                    parameters: &p {weight: &w 0.5, density: 0.3}
                  - model: b
                    parameters: {weight: *w, density: [1, *w]}
                  - model: c
                    parameters: *p
                """);
        assertEquals(new ParameterSetting.Scalar(0.5), r.models().get(1).parameters().get("weight"));
        assertEquals(new ParameterSetting.Gradient(new double[] {1, 0.5}), r.models().get(1).parameters().get("density"));
        assertEquals(r.models().get(0).parameters(), r.models().get(2).parameters());
    }

    @Test
    void mergeKeysFillWhatTheMappingDoesNotSay() {
        Recipe r = parse("""
                merge_method: ties
                base_model: base
                models:
                  - model: a
                    parameters: &common {weight: 0.5, density: 0.3}
                  - model: b
                    parameters:
                      <<: *common
                      density: 0.9
                """);
        assertEquals(new ParameterSetting.Scalar(0.5), r.models().get(1).parameters().get("weight"));
        assertEquals(new ParameterSetting.Scalar(0.9), r.models().get(1).parameters().get("density"), "own keys win over merged ones");
    }

    @Test
    void anAliasBeforeItsAnchorIsRefused() {
        RecipeException e = refused("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: *w}\n");
        assertTrue(e.getMessage().contains("*w") && e.getMessage().contains("line 4"), e.getMessage());
    }

    @Test
    void duplicateTopLevelKeyNamesTheKeyAndBothLines() {
        RecipeException e = refused("""
                merge_method: linear
                models: [a, b]
                merge_method: slerp
                """);
        assertEquals("r.yaml: key 'merge_method' appears twice in the document (lines 1 and 3)", e.getMessage());
    }

    @Test
    void duplicateParameterKeyNamesItsPath() {
        RecipeException e = refused("""
                merge_method: linear
                models:
                  - model: a
                    parameters:
                      weight: 0.3
                      weight: 0.7
                """);
        assertEquals("r.yaml: key 'weight' appears twice in 'models[0].parameters' (lines 5 and 6)", e.getMessage());
    }

    @Test
    void aliasExpansionIsBounded() {
        // 48 aliases (SnakeYAML's own cap is 50) that would expand to 2^24 values
        StringBuilder y = new StringBuilder("merge_method: linear\nmodels: [a]\nparameters:\n  l0: &l0 [1, 1]\n");
        for (int i = 1; i <= 24; i++) y.append("  l").append(i).append(": &l").append(i).append(" [*l").append(i - 1).append(", *l").append(i - 1).append("]\n");
        RecipeException e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> refused(y.toString()));
        assertTrue(e.getMessage().contains("aliases are expanded"), e.getMessage());
    }

    @Test
    void aNonTextFilterIsRefused() {
        RecipeException e = refused("merge_method: linear\nmodels:\n  - model: a\n    parameters:\n      weight: [{filter: {x: 1}, value: 1}]\n");
        assertTrue(e.getMessage().contains("models[0].parameters.weight[0].filter"), e.getMessage());
    }

    @Test
    void anUnnamedEarlierDocumentIsRefused() {
        // a second document makes a staged recipe, whose earlier documents must name their results
        String m = refused("merge_method: linear\nmodels: [a]\n---\nmerge_method: slerp\n").getMessage();
        assertTrue(m.startsWith("r.yaml (document 1 of 2): 'name' is missing") && !m.contains("\n"), m);
    }

    @Test
    void writtenRecipesReadBack() {
        Recipe r = parse("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: [0, 1]}\n  - b\ndtype: bfloat16\n");
        Recipe back = parse(RecipeYaml.write(r));
        assertEquals(r.models(), back.models());
        assertEquals(List.of("a", "b"), back.referencedModels());
    }

    @Test
    void shippedRecipesRead() throws java.io.IOException {
        try (var files = java.nio.file.Files.list(Path.of("configs"))) {
            List<Path> yamls = files.filter(f -> f.toString().endsWith(".yaml")).toList();
            assertFalse(yamls.isEmpty());
            for (Path f : yamls) assertFalse(RecipeYaml.read(f).referencedModels().isEmpty(), f.toString());
        }
    }
}
