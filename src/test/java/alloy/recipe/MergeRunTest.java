package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.HfConfig;
import alloy.io.MemoryCheckpoint;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recipes run end to end on tiny random Llama checkpoints: planning rules, errors, and merged values. */
class MergeRunTest {

    @TempDir static Path dir;
    static Path base, a, b;
    static final RandomModels.Spec SPEC = RandomModels.Spec.tiny();

    @BeforeAll
    static void models() {
        base = RandomModels.write(dir.resolve("base"), SPEC, DType.F32, 1, 1, 0, 1 << 30);
        a = RandomModels.write(dir.resolve("a"), SPEC, DType.F32, 1, 2, 1.0, 1 << 30);
        b = RandomModels.write(dir.resolve("b"), SPEC, DType.F32, 1, 3, 1.0, 20_000);
    }

    static Recipe recipe(String yaml) { return RecipeYaml.parse(yaml, "test.yaml", dir); }

    static MergeRun.Options opts(int threads) { return new MergeRun.Options(7, threads, Kernels.fast()); }

    static float[] tensor(Checkpoint c, String name) {
        try (Arena ar = Arena.ofConfined()) {
            return c.read(name, ar).toArray();
        }
    }

    @Test
    void gradientFollowsLayerDepthAndFiltersPickFirstMatch() {
        Recipe r = recipe("""
                merge_method: linear
                models:
                  - model: a
                    parameters:
                      weight: [0, 1]
                  - model: b
                    parameters:
                      weight:
                        - filter: self_attn
                          value: 0.25
                        - value: [1, 0]
                """);
        try (MergeRun run = MergeRun.prepare(r)) {
            for (Plan.Step s : run.plan().steps()) {
                var w = alloy.arch.WeightName.parse(s.name());
                double t = w.layer().isPresent() ? w.layer().getAsInt() / 3.0 : 0;
                assertEquals(t, s.t(), 1e-12, s.name());
                assertEquals(t, s.perModel().get(0).get("weight"), 1e-12, s.name());
                double wb = s.name().contains("self_attn") ? 0.25 : 1 - t;
                assertEquals(wb, s.perModel().get(1).get("weight"), 1e-12, s.name());
                assertEquals(1.0, s.global().get("normalize"), "linear normalizes by default");
            }
        }
    }

    @Test
    void linearWithWeightsOneZeroReproducesFirstModelAndCopiesConfig() throws IOException {
        Recipe r = recipe("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: b\n    parameters: {weight: 0}\n");
        Path out = dir.resolve("out-linear");
        try (MergeRun run = MergeRun.prepare(r)) {
            run.toDisk(OutputTarget.of(out, true), 1 << 30, opts(2), s -> {});
        }
        try (Checkpoint m = Checkpoints.open(out); Checkpoint in = Checkpoints.open(a)) {
            for (TensorInfo t : in.tensors()) assertArrayEquals(tensor(in, t.name()), tensor(m, t.name()), t.name());
            assertEquals("float32", HfConfig.read(out).orElseThrow().json().get("torch_dtype").asText());
        }
        assertTrue(Files.isRegularFile(out.resolve("tokenizer_config.json")));
        assertTrue(Files.readString(out.resolve("mergekit_config.yml")).contains("merge_method: linear"));
    }

    @Test
    void inMemoryEqualsOnDiskAndThreadsDoNotChangeRandomMethods() {
        Recipe r = recipe("merge_method: dare_ties\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 0.5, density: 0.5}\n"
                + "  - model: b\n    parameters: {weight: 0.5, density: 0.3}\nout_dtype: bfloat16\n");
        Path out = dir.resolve("out-dare");
        try (MergeRun run = MergeRun.prepare(r)) {
            run.toDisk(OutputTarget.of(out, true), 1 << 30, opts(1), s -> {});
            try (MemoryCheckpoint mem = run.toMemory("mem", opts(2), s -> {}); Checkpoint disk = Checkpoints.open(out)) {
                assertEquals(DType.BF16, disk.info("lm_head.weight").dtype());
                for (TensorInfo t : disk.tensors()) assertArrayEquals(tensor(disk, t.name()), tensor(mem, t.name()), t.name());
            }
        }
    }

    @Test
    void layerStackingRenumbersLayersAndUpdatesConfig() {
        Recipe r = recipe("""
                merge_method: passthrough
                slices:
                  - sources:
                      - model: a
                        layer_range: [0, 3]
                  - sources:
                      - model: b
                        layer_range: [1, 4]
                """);
        Path out = dir.resolve("out-stack");
        try (MergeRun run = MergeRun.prepare(r)) {
            assertEquals(6, run.plan().outLayers());
            run.toDisk(OutputTarget.of(out, true), 1 << 30, opts(2), s -> {});
        }
        try (Checkpoint m = Checkpoints.open(out); Checkpoint ca = Checkpoints.open(a); Checkpoint cb = Checkpoints.open(b)) {
            assertEquals(6, HfConfig.read(out).orElseThrow().numLayers().getAsInt());
            assertArrayEquals(tensor(ca, "model.layers.2.mlp.up_proj.weight"), tensor(m, "model.layers.2.mlp.up_proj.weight"));
            assertArrayEquals(tensor(cb, "model.layers.1.mlp.up_proj.weight"), tensor(m, "model.layers.3.mlp.up_proj.weight"));
            assertArrayEquals(tensor(cb, "model.layers.3.self_attn.q_proj.weight"), tensor(m, "model.layers.5.self_attn.q_proj.weight"));
            assertArrayEquals(tensor(ca, "model.embed_tokens.weight"), tensor(m, "model.embed_tokens.weight"), "pre weights from the first slice");
            assertArrayEquals(tensor(cb, "lm_head.weight"), tensor(m, "lm_head.weight"), "post weights from the last slice");
            assertFalse(m.has("model.layers.6.mlp.up_proj.weight"));
        }
    }

    @Test
    void missingTensorFailsBeforeMergingAndNamesIt() throws IOException {
        Path partial = RandomModels.write(dir.resolve("partial"), new RandomModels.Spec(3, 16, 32, 40), DType.F32, 1, 5, 1, 1 << 30);
        Recipe r = recipe("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: partial\n    parameters: {weight: 1}\n");
        RecipeException e = assertThrows(RecipeException.class, () -> MergeRun.prepare(r).close());
        assertTrue(e.getMessage().contains("model.layers.3.") && e.getMessage().contains("'partial'"), e.getMessage());
    }

    @Test
    void vocabularyMismatchTakesCommonSubmatrixOtherShapesFail() {
        Path big = RandomModels.write(dir.resolve("bigvocab"), new RandomModels.Spec(4, 16, 32, 48), DType.F32, 1, 6, 1, 1 << 30);
        Recipe r = recipe("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: bigvocab\n    parameters: {weight: 1}\n");
        try (MergeRun run = MergeRun.prepare(r)) {
            Plan.Step emb = run.plan().steps().stream().filter(s -> s.name().equals("model.embed_tokens.weight")).findFirst().orElseThrow();
            assertEquals(alloy.tensor.Shape.of(40, 16), emb.shape());
            assertTrue(run.plan().notes().stream().anyMatch(n -> n.contains("common")), run.plan().notes().toString());
            try (MemoryCheckpoint m = run.toMemory("m", opts(1), s -> {}); Checkpoint ca = Checkpoints.open(a); Checkpoint cb = Checkpoints.open(big)) {
                float[] got = tensor(m, "lm_head.weight"), x = tensor(ca, "lm_head.weight"), y = tensor(cb, "lm_head.weight");
                for (int i = 0; i < got.length; i++) assertEquals((x[i] + y[i]) / 2, got[i], 1e-6);
            }
        }
        Path wide = RandomModels.write(dir.resolve("wide"), new RandomModels.Spec(4, 16, 48, 40), DType.F32, 1, 7, 1, 1 << 30);
        Recipe bad = recipe("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: wide\n    parameters: {weight: 1}\n");
        RecipeException e = assertThrows(RecipeException.class, () -> MergeRun.prepare(bad).close());
        assertTrue(e.getMessage().contains("gate_proj") && e.getMessage().contains("[48, 16]"), e.getMessage());
    }

    @Test
    void unknownParameterAndMethodAndMissingWeightAreNamed() {
        RecipeException p = assertThrows(RecipeException.class, () -> MergeRun.prepare(recipe(
                "merge_method: ties\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 1, densty: 0.5}\n")).close());
        assertTrue(p.getMessage().contains("models[0].parameters.densty"), p.getMessage());
        RecipeException m = assertThrows(RecipeException.class, () -> MergeRun.prepare(recipe(
                "merge_method: tie\nmodels:\n  - model: a\n")).close());
        assertTrue(m.getMessage().contains("'tie'") && m.getMessage().contains("ties"), m.getMessage());
        RecipeException w = assertThrows(RecipeException.class, () -> MergeRun.prepare(recipe(
                "merge_method: linear\nmodels:\n  - model: a\n  - model: b\n    parameters: {weight: 1}\n")).close());
        assertTrue(w.getMessage().contains("'weight'") && w.getMessage().contains("'a'"), w.getMessage());
        RecipeException y = assertThrows(RecipeException.class, () -> recipe("merge_method: linear\nmodel:\n  - model: a\n"));
        assertTrue(y.getMessage().contains("test.yaml") && y.getMessage().contains("'model'"), y.getMessage());
    }

    @Test
    void nonFiniteInputAbortsAndLeavesNoOutput() throws IOException {
        Path nan = dir.resolve("nan");
        RandomModels.write(nan, SPEC, DType.F32, 1, 8, 1, 1 << 30);
        // Poison one value of a copy of the model (the writer builds a fresh file, inputs elsewhere stay intact).
        try (Checkpoint c = Checkpoints.open(nan); Arena ar = Arena.ofConfined()) {
            var entries = c.tensors().stream().map(t -> new alloy.io.CheckpointWriter.Entry(t.name(), t.dtype(), t.shape())).toList();
            try (var w = alloy.io.CheckpointWriter.create(OutputTarget.of(dir.resolve("nan2"), true), entries, 1 << 30, java.util.Map.of())) {
                for (TensorInfo t : c.tensors()) {
                    FloatTensor x = c.read(t.name(), ar);
                    if (t.name().equals("model.layers.2.mlp.down_proj.weight")) x.set(5, Float.NaN);
                    w.write(t.name(), x);
                }
                w.writeFile("config.json", Files.readAllBytes(nan.resolve("config.json")));
                w.commit();
            }
        }
        Path out = dir.resolve("out-nan");
        Recipe r = recipe("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n  - model: nan2\n    parameters: {weight: 1}\n");
        try (MergeRun run = MergeRun.prepare(r)) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> run.toDisk(OutputTarget.of(out, false), 1 << 30, opts(2), s -> {}));
            assertTrue(e.getMessage().contains("model.layers.2.mlp.down_proj.weight") && e.getMessage().contains("NaN"), e.getMessage());
        }
        assertFalse(Files.exists(out));
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("alloy-partial")), "no temporary directory left");
        }
    }
}
