package alloy.eval.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import alloy.eval.train.DecoderCheckpoint;
import alloy.eval.train.DecoderTrainer;
import alloy.io.Checkpoint;
import alloy.io.MemoryCheckpoint;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.MergeRun;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import alloy.recipe.RecipeYaml;
import alloy.tensor.DType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recipe written from learned coefficients merges, through the ordinary merge code, to the very weights
 * the learned function computes: per-layer gradients, plain task vectors, DARE's sparsified ones (same masks,
 * same rescale), and softmax-linear weights.
 */
class LearnableMergeTest {

    @TempDir Path tmp;

    private void family() {
        try (NDManager m = DjlEngine.newManager()) {
            DecoderCheckpoint.save(tmp.resolve("base"), MergedWeightsTest.TINY, DecoderTrainer.initialise(MergedWeightsTest.TINY, m, 1).named(), DType.F32, Map.of());
            DecoderCheckpoint.save(tmp.resolve("x"), MergedWeightsTest.TINY, DecoderTrainer.initialise(MergedWeightsTest.TINY, m, 2).named(), DType.F32, Map.of());
            DecoderCheckpoint.save(tmp.resolve("y"), MergedWeightsTest.TINY, DecoderTrainer.initialise(MergedWeightsTest.TINY, m, 3).named(), DType.F32, Map.of());
        }
    }

    @Test
    void taskArithmeticRecipeMergesToTheLearnedFunction() {
        family();
        sameAsMerge("merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", new double[][] {{0.3, 1.1}, {-0.2, 0.6}}, 1e-6f);
    }

    @Test
    void dareRecipeMergesToTheLearnedFunctionWithTheSameMasks() {
        family();
        // dare_linear has no sign election, so recipe and learned function agree exactly
        sameAsMerge("merge_method: dare_linear\nbase_model: base\nmodels:\n  - model: x\n    parameters: {density: 0.4}\n  - model: y\n    parameters: {density: 0.7}\n",
                new double[][] {{0.5, 0.9}, {0.8, 0.1}}, 1e-6f);
    }

    @Test
    void tiesRecipeMergesToTheLearnedFunctionWithTheSameSignElection() {
        family();
        // a negative λ flips its model's weighted deltas, so the election must use λ τ, not τ
        sameAsMerge("merge_method: ties\nbase_model: base\nmodels:\n  - model: x\n    parameters: {density: 0.5}\n  - model: y\n    parameters: {density: 0.8}\n",
                new double[][] {{0.7, -0.3}, {0.4, 0.9}}, 1e-6f);
    }

    @Test
    void dareTiesAndCountElectionsMergeToTheLearnedFunction() {
        family();
        sameAsMerge("merge_method: dare_ties\nbase_model: base\nmodels:\n  - model: x\n    parameters: {density: 0.6}\n  - model: y\n    parameters: {density: 0.6}\n",
                new double[][] {{0.5, 0.9}, {0.8, 0.2}}, 1e-6f);
        sameAsMerge("merge_method: ties\nbase_model: base\nmodels:\n  - model: x\n    parameters: {density: 0.7}\n  - model: y\n    parameters: {density: 0.7}\n"
                + "parameters: {sign_by_count: true}\n", new double[][] {{0.5, 0.9}, {0.8, 0.2}}, 1e-6f);
    }

    @Test
    void theElectionChangesTheMergeSoItIsNotLeftOut() {
        family();
        // the same coefficients without the election (task_arithmetic over the same trimmed vectors) merge elsewhere
        Recipe ties = RecipeYaml.parse("merge_method: ties\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", "t", tmp);
        Recipe plain = RecipeYaml.parse("merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", "p", tmp);
        assertEquals(alloy.merge.Consensus.SUM, LearnableMerge.election(ties));
        assertEquals(alloy.merge.Consensus.NONE, LearnableMerge.election(plain));
        double[][] v = {{0.6, 0.6}, {0.6, 0.6}};
        MergeRun.Options opt = new MergeRun.Options(7, 1, alloy.tensor.Kernels.fast());
        try (MergeRun a = MergeRun.prepare(LearnableMerge.recipe(ties, v)); MergeRun b = MergeRun.prepare(LearnableMerge.recipe(plain, v));
             MemoryCheckpoint ma = a.toMemory("ties", opt, s -> {}); MemoryCheckpoint mb = b.toMemory("plain", opt, s -> {}); Arena arena = Arena.ofConfined()) {
            String name = "model.layers.0.mlp.up_proj.weight";
            assertTrue(!java.util.Arrays.equals(ma.read(name, arena).toArray(), mb.read(name, arena).toArray()), "the election drops disagreeing entries");
        }
    }

    @Test
    void linearRecipeMergesToTheSoftmaxWeightedModels() {
        family();
        sameAsMerge("merge_method: linear\nmodels:\n  - model: x\n  - model: y\n  - model: base\n", new double[][] {{0.2, 0.5}, {0.3, 0.1}, {0.5, 0.4}}, 1e-6f);
    }

    @Test
    void filteredTaskVectorRecipeMergesToTheLearnedFunction() {
        family();
        // attention, MLP and the rest (norms, embeddings, head) each with their own two anchors per model
        CoefficientLayout layout = new CoefficientLayout(java.util.List.of("self_attn", "mlp"), 2);
        Recipe written = sameAsMerge("merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", layout,
                new double[][] {{0.3, 1.1, -0.4, 0.2, 0.9, 0.05}, {-0.2, 0.6, 0.7, 1.3, 0.1, 0.5}}, 1e-6f);
        var weight = assertInstanceOf(ParameterSetting.Filtered.class, written.models().get(1).parameters().get("weight"));
        assertEquals(3, weight.conditions().size());
        assertEquals("mlp", weight.conditions().get(1).filter());
        assertEquals(null, weight.conditions().get(2).filter(), "the rest: the last entry, without a filter");
        assertArrayEquals(new double[] {0.7, 1.3}, ((ParameterSetting.Gradient) weight.conditions().get(1).value()).anchors(), 1e-9);
    }

    @Test
    void filteredSoftmaxLinearRecipeMergesToTheLearnedFunction() {
        family();
        // each column is its own simplex: normalize on merges each group's weights to what was learned
        sameAsMerge("merge_method: linear\nmodels:\n  - model: x\n  - model: y\n", new CoefficientLayout(java.util.List.of("mlp"), 1),
                new double[][] {{0.2, 0.7}, {0.8, 0.3}}, 1e-6f);
    }

    @Test
    void stagedRecipeLearnsItsLastMergeOverTheStagesResult() {
        family();
        // a fixed stage (x and y mixed 3:7) then ties of its result and x over the base: the stage is merged in
        // memory, its result trimmed like any model, and the written recipe keeps the stage in front
        Recipe written = sameAsMerge("""
                merge_method: linear
                models:
                  - model: x
                    parameters: {weight: 0.3}
                  - model: y
                    parameters: {weight: 0.7}
                name: xy
                ---
                merge_method: ties
                base_model: base
                models:
                  - model: xy
                    parameters: {density: 0.6}
                  - model: x
                    parameters: {density: 0.8}
                """, CoefficientLayout.of(2), new double[][] {{0.9, 0.4}, {0.3, 0.7}}, 1e-6f);
        assertEquals(java.util.List.of("xy"), written.stageNames());
        assertEquals(0.7, ((ParameterSetting.Scalar) written.stages().get(0).recipe().models().get(1).parameters().get("weight")).value());
    }

    @Test
    void aFilterThatMatchesNoMergedTensorIsRefusedByName() {
        family();
        Recipe template = RecipeYaml.parse("merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", "template", tmp);
        CoefficientLayout layout = new CoefficientLayout(java.util.List.of("mlp", "self_atn"), 1);
        try (MergeRun run = MergeRun.prepare(LearnableMerge.recipe(template, layout, new double[][] {{1, 1, 1}, {1, 1, 1}})); NDManager m = DjlEngine.newManager()) {
            var e = assertThrows(IllegalArgumentException.class, () -> LearnableMerge.build(template, run.inputs(), layout,
                    new double[][] {{1, 1, 1}, {1, 1, 1}}, new MergeRun.Options(7, 1, alloy.tensor.Kernels.fast()), m));
            assertTrue(e.getMessage().contains("'self_atn' matches no merged tensor"), e.getMessage());
        }
    }

    private void sameAsMerge(String yaml, double[][] values, float tolerance) {
        Recipe written = sameAsMerge(yaml, CoefficientLayout.of(2), values, tolerance);
        assertInstanceOf(ParameterSetting.Gradient.class, written.models().get(0).parameters().get("weight"), "two anchors: a gradient list");
    }

    private Recipe sameAsMerge(String yaml, CoefficientLayout layout, double[][] values, float tolerance) {
        Recipe template = RecipeYaml.parse(yaml, "template", tmp);
        Recipe written = LearnableMerge.recipe(template, layout, values);
        // the written recipe reads back the same (an ordinary mergekit recipe)
        assertEquals(RecipeYaml.write(written), RecipeYaml.write(RecipeYaml.parse(RecipeYaml.write(written), "written", tmp)));
        MergeRun.Options opt = new MergeRun.Options(7, 1, alloy.tensor.Kernels.fast());
        try (MergeRun run = MergeRun.prepare(written); MemoryCheckpoint merged = run.toMemory("merged", opt, s -> {});
             NDManager m = DjlEngine.newManager(); Arena arena = Arena.ofConfined()) {
            // the models as opened; a staged recipe's stage results are merged again by the learnable merge itself
            Map<String, Checkpoint> inputs = new java.util.LinkedHashMap<>(run.inputs());
            inputs.keySet().removeAll(template.stageNames());
            try (MergedWeights w = LearnableMerge.build(template, inputs, layout, values, opt, m); NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                assertArrayEquals(values[0], w.values()[0], 1e-6);
                Map<String, NDArray> learned = w.weights();
                assertEquals(merged.tensors().size(), learned.size());
                for (var e : learned.entrySet()) {
                    assertArrayEquals(merged.read(e.getKey(), arena).toArray(), e.getValue().toFloatArray(), tolerance, e.getKey());
                }
            }
        }
        return written;
    }

    @Test
    void methodsWithoutLearnableWeightsAreRefusedByName() {
        family();
        var e = assertThrows(RecipeException.class, () -> LearnableMerge.form(RecipeYaml.parse(
                "merge_method: slerp\nbase_model: base\nmodels:\n  - model: x\n  - model: base\nparameters: {t: 0.5}\n", "t", tmp)));
        assertTrue(e.getMessage().contains("slerp"), e.getMessage());
        var f = assertThrows(RecipeException.class, () -> LearnableMerge.form(RecipeYaml.parse(
                "merge_method: linear\nbase_model: base\nmodels:\n  - model: x\n  - model: y\n", "t", tmp)));
        assertTrue(f.getMessage().contains("base_model"), f.getMessage());
    }
}
