package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.MemoryCheckpoint;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the planner refuses before any weight is read: parameter values, unequal layer stacks, a missing tokenizer_source. */
class PlanChecksTest {

    @TempDir static Path dir;

    @BeforeAll
    static void models() {
        RandomModels.Spec spec = RandomModels.Spec.tiny();
        RandomModels.write(dir.resolve("base"), spec, DType.F32, 1, 1, 0, 1 << 30);
        RandomModels.write(dir.resolve("a"), spec, DType.F32, 1, 2, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("b"), spec, DType.F32, 1, 3, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("small"), new RandomModels.Spec(2, spec.hidden(), spec.intermediate(), spec.vocab()), DType.F32, 1, 4, 1.0, 1 << 30);
    }

    static RecipeException refused(String yaml) {
        Recipe r = RecipeYaml.parse(yaml, "r.yaml", dir);
        return assertThrows(RecipeException.class, () -> MergeRun.prepare(r).close());
    }

    static MemoryCheckpoint merge(String yaml) {
        try (MergeRun run = MergeRun.prepare(RecipeYaml.parse(yaml, "r.yaml", dir))) {
            return run.toMemory("m", new MergeRun.Options(5, 1, Kernels.fast()), s -> {});
        }
    }

    @Test
    void slerpTOutsideTheUnitIntervalIsRefusedNamingTheKey() {
        assertEquals("'parameters.t': slerp's t must lie in [0, 1], got 1.5",
                refused("merge_method: slerp\nbase_model: base\nmodels: [base, a]\nparameters: {t: 1.5}\n").getMessage());
        assertEquals("'parameters.t': slerp's t must lie in [0, 1], got -0.1",
                refused("merge_method: slerp\nbase_model: base\nmodels: [base, a]\nparameters: {t: [0, -0.1]}\n").getMessage());
        assertTrue(refused("merge_method: slerp\nbase_model: base\nmodels: [base, a]\nparameters: {t: [{filter: mlp, value: 2}, {value: 0.5}]}\n")
                .getMessage().startsWith("'parameters.t'"));
    }

    @Test
    void negativeOrNanDensityIsRefusedAtPlanTime() {
        String ties = "merge_method: ties\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 1, density: %s}\n  - model: b\n    parameters: {weight: 1, density: 0.5}\n";
        assertEquals("'models[0].parameters.density': ties's density must be >= 0, got -0.5", refused(ties.formatted("-0.5")).getMessage());
        RecipeException nan = assertThrows(RecipeException.class, () -> RecipeYaml.parse(ties.formatted(".nan"), "r.yaml", dir));
        assertEquals("r.yaml: 'models[0].parameters.density' must be a finite number, found NaN", nan.getMessage());
        // a recipe built in code (a sweep, a search) meets the same check in the planner
        Recipe slerp = RecipeYaml.parse("merge_method: slerp\nbase_model: base\nmodels: [base, a]\nparameters: {t: 0.5}\n", "r.yaml", dir)
                .withParameter("t", new ParameterSetting.Scalar(Double.NaN));
        assertEquals("'parameters.t': slerp's t must be a finite number, got NaN",
                assertThrows(RecipeException.class, () -> MergeRun.prepare(slerp).close()).getMessage());
    }

    @Test
    void densityAboveOneKeepsEverythingAsMergekitDoes() {
        String ties = "merge_method: ties\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 1, density: %s}\n  - model: b\n    parameters: {weight: 1, density: %s}\n";
        try (MemoryCheckpoint over = merge(ties.formatted("2.5", "2.5")); MemoryCheckpoint one = merge(ties.formatted("1", "1"));
             var arena = java.lang.foreign.Arena.ofConfined()) {
            for (var t : one.tensors()) assertArrayEquals(one.read(t.name(), arena).toArray(), over.read(t.name(), arena).toArray(), t.name());
        }
    }

    @Test
    void unequalLayerCountsAreRefusedWhicheverComesFirst() {
        for (String order : new String[] {"[small, a]", "[a, small]"}) {
            RecipeException e = refused("merge_method: linear\nmodels: " + order + "\nparameters: {weight: 1}\n");
            assertTrue(e.getMessage().startsWith("models have different layer counts") && e.getMessage().contains("'model.layers'")
                    && e.getMessage().contains("'model.layers.2.") && e.getMessage().contains("layer_range"), order + ": " + e.getMessage());
        }
        // the same models with slices that say which layers to take merge
        try (MemoryCheckpoint m = merge("merge_method: linear\nslices:\n  - sources:\n      - {model: small, layer_range: [0, 2], parameters: {weight: 1}}\n"
                + "      - {model: a, layer_range: [2, 4], parameters: {weight: 1}}\n")) {
            assertTrue(m.find("model.layers.1.mlp.up_proj.weight").isPresent());
            assertTrue(m.find("model.layers.2.mlp.up_proj.weight").isEmpty());
        }
    }

    @Test
    void missingTokenizerSourceNamesTheKey() {
        RecipeException e = refused("merge_method: linear\nmodels: [a, b]\nparameters: {weight: 1}\ntokenizer_source: no/such-tokenizer-dir\n");
        assertTrue(e.getMessage().startsWith("'tokenizer_source': 'no/such-tokenizer-dir'"), e.getMessage());
        RecipeException f = refused("merge_method: linear\nmodels: [a, b]\nparameters: {weight: 1}\ntokenizer_source: ./missing\n");
        assertTrue(f.getMessage().startsWith("'tokenizer_source': './missing'"), f.getMessage());
    }
}
