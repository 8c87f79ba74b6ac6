package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.MemoryCheckpoint;
import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NaN and infinities in the inputs or the result of a merge give the executor's errors, naming the file
 * (here the in-memory model's label), the tensor and the model, whether the executor checks each input
 * and the result in a pass of its own (ties) or the method screens them in its own passes and calls those
 * checks (dare_ties in its vote, linear and slerp on their result): a value in an entry DARE drops, in
 * the base, in a model it does not thin or weighs 0, and a result that overflows.
 */
class NonFiniteScreenTest {

    static final String TENSOR = "model.layers.0.mlp.up_proj.weight";
    static final Shape SHAPE = Shape.of(3 * Blocks.SIZE / 64 + 1, 64 + 3);   // several blocks and a partial mask word

    static Map<String, Checkpoint> models(String poisoned, long at, float value) {
        Map<String, Checkpoint> models = new LinkedHashMap<>();
        for (int m = 0; m <= 3; m++) {
            String label = m == 0 ? "base" : "t" + m;
            MemoryCheckpoint c = new MemoryCheckpoint(label, Optional.empty());
            SplittableRandom r = new SplittableRandom(17 + m);
            FloatTensor t = FloatTensor.allocate(c.arena(), SHAPE);
            for (long i = 0; i < t.size(); i++) t.set(i, (float) r.nextGaussian() * 0.1f);
            if (label.equals(poisoned)) t.set(at, value);
            c.put(TENSOR, t);
            models.put(label, c);
        }
        return models;
    }

    static String recipe(String method, String weight, String lambda) {
        if (method.equals("linear")) {
            return "merge_method: linear\nmodels:\n  - model: base\n    parameters: {weight: 0.4}\n  - model: t1\n    parameters: {weight: " + weight + "}\n"
                    + "  - model: t2\n    parameters: {weight: 0}\n  - model: t3\n    parameters: {weight: 0.3}\nparameters: {normalize: false}\ndtype: float32\n";
        }
        if (method.equals("slerp")) return "merge_method: slerp\nbase_model: base\nmodels:\n  - model: base\n  - model: t1\nparameters: {t: 0.3}\ndtype: float32\n";
        return "merge_method: " + method + "\nbase_model: base\nmodels:\n"
                + "  - model: t1\n    parameters: {weight: " + weight + ", density: 0.5}\n"
                + "  - model: t2\n    parameters: {weight: 0.3, density: 1.0}\n"
                + "  - model: t3\n    parameters: {weight: 0.3, density: 0.3}\n"
                // without normalize (ties normalizes by default), so that a weight and lambda can carry the result past the float range
                + "parameters: {normalize: false, lambda: " + lambda + "}\ndtype: float32\n";
    }

    static CheckpointException fail(String method, String weight, String lambda, Map<String, Checkpoint> models, int threads, Kernels kernels) {
        Recipe r = RecipeYaml.parse(recipe(method, weight, lambda), method, Path.of("."));
        try (MergeRun run = MergeRun.prepare(r, models)) {
            return assertThrows(CheckpointException.class, () -> run.toMemory(method, new MergeRun.Options(5, threads, kernels), s -> {}).close());
        } finally {
            models.values().forEach(Checkpoint::close);
        }
    }

    @ParameterizedTest
    @CsvSource({"dare_ties, t1", "dare_ties, t2", "dare_ties, t3", "dare_ties, base", "ties, t1", "ties, base",
            "linear, t2", "linear, base", "slerp, t1", "slerp, base"})
    void aNonFiniteInputIsNamed(String method, String model) {
        // several positions, so that one falls where DARE drops the entry; the first bad element is reported
        for (long at : new long[] {0, 5, 1000, SHAPE.numel() - 1}) {
            for (float value : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
                for (int threads : new int[] {1, 2}) {
                    for (Kernels kernels : new Kernels[] {Kernels.fast(), Kernels.reference()}) {
                        if (kernels == Kernels.reference() && (threads == 2 || at == 5)) continue;   // the scalar twin is slow; once suffices
                        CheckpointException e = fail(method, "0.4", "1", models(model, at, value), threads, kernels);
                        assertEquals(model + ": tensor '" + TENSOR + "' holds " + value + " at element " + at + " (model '" + model
                                + "'); refusing to merge non-finite weights", e.getMessage());
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"dare_ties", "ties", "linear"})
    void aResultThatOverflowsIsNamed(String method) {
        // finite inputs, a weight that carries t1's deltas past the float range
        for (int threads : new int[] {1, 2}) {
            // linear has no lambda: a weight past the float range makes its coefficient infinite
            CheckpointException e = fail(method, method.equals("linear") ? "1e39" : "3e38", "100", models("none", 0, 0), threads, Kernels.fast());
            assertTrue(e.getMessage().startsWith("tensor '" + TENSOR + "': merge_method '" + method + "' produced "), e.getMessage());
            assertTrue(e.getMessage().contains("Infinity at element "), e.getMessage());
        }
    }
}
