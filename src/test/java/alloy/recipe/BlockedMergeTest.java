package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.Checkpoint;
import alloy.io.MemoryCheckpoint;
import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A merge whose tensors span several blocks gives the same bytes whether one thread runs every block in
 * order or several workers share the blocks of each tensor (the executor's fork-join path), for every
 * family of method: element-wise, whole-tensor statistics (slerp's angle, rescale's norms), TIES's
 * selection (with magnitudes tied at the cut) and random masks, which stay seeded per tensor. (DELLA's
 * per-row ranking does not use blocks; its masks are per-element counters too, but it takes 20 s here.)
 */
class BlockedMergeTest {

    static final Map<String, Checkpoint> MODELS = new LinkedHashMap<>();

    @BeforeAll
    static void models() {
        // two multi-block tensors (one with a partial last block and mask word) and a small one
        Map<String, Shape> layout = new LinkedHashMap<>();
        layout.put("model.layers.0.mlp.up_proj.weight", Shape.of(257, 1000));
        layout.put("model.layers.0.mlp.down_proj.weight", Shape.of(3 * Blocks.SIZE / 64, 64));
        layout.put("model.norm.weight", Shape.of(40));
        for (int m = 0; m <= 3; m++) {
            MemoryCheckpoint c = new MemoryCheckpoint(m == 0 ? "base" : "t" + m, Optional.empty());
            for (var e : layout.entrySet()) {
                SplittableRandom base = new SplittableRandom(e.getKey().hashCode()), tune = new SplittableRandom(31L * m + e.getKey().hashCode());
                FloatTensor t = FloatTensor.allocate(c.arena(), e.getValue());
                for (long i = 0; i < t.size(); i++) {
                    // deltas on a grid of 1/64: many equal magnitudes, so TIES's cut falls inside a run of ties
                    float d = m == 0 ? 0 : Math.round(tune.nextGaussian() * 4) / 64f;
                    t.set(i, (float) base.nextGaussian() * 0.5f + d);
                }
                c.put(e.getKey(), t);
            }
            MODELS.put(c.label(), c);
        }
    }

    @AfterAll
    static void close() { MODELS.values().forEach(Checkpoint::close); }

    static String recipe(String method) {
        String extra = method.startsWith("breadcrumbs") ? ", gamma: 0.02" : method.equals("della") ? ", epsilon: 0.1" : "";
        String tunes = "";
        for (int i = 1; i <= 3; i++) tunes += "  - model: t" + i + "\n    parameters: {weight: " + (0.2 + 0.1 * i) + ", density: 0.4" + extra + "}\n";
        return switch (method) {
            case "linear" -> "merge_method: linear\nmodels:\n  - model: base\n    parameters: {weight: 0.4}\n" + tunes.replace(", density: 0.4", "") + "dtype: float32\n";
            case "slerp" -> "merge_method: slerp\nbase_model: base\nmodels:\n  - model: base\n  - model: t1\nparameters: {t: 0.3}\ndtype: float32\n";
            case "ties_rescaled" -> "merge_method: ties\nbase_model: base\nmodels:\n" + tunes + "parameters: {rescale: true}\ndtype: bfloat16\n";
            default -> "merge_method: " + method + "\nbase_model: base\nmodels:\n" + tunes + "dtype: float32\n";
        };
    }

    static Map<String, byte[]> merge(String method, int threads) {
        Recipe r = RecipeYaml.parse(recipe(method), method, Path.of("."));
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (MergeRun run = MergeRun.prepare(r, MODELS);
             MemoryCheckpoint m = run.toMemory(method, new MergeRun.Options(11, threads, Kernels.fast()), s -> {})) {
            for (var info : m.tensors()) out.put(info.name(), m.tensor(info.name()).data().toArray(ValueLayout.JAVA_BYTE));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "slerp", "task_arithmetic", "ties", "ties_rescaled", "dare_ties", "dare_linear", "breadcrumbs_ties"})
    void sharedBlocksGiveTheSameBytesAsOneThread(String method) {
        Map<String, byte[]> one = merge(method, 1);
        for (int threads : new int[] {2, 3}) {
            Map<String, byte[]> many = merge(method, threads);
            assertEquals(one.keySet(), many.keySet());
            for (String name : one.keySet()) assertArrayEquals(one.get(name), many.get(name), method + ", " + threads + " threads, tensor '" + name + "'");
        }
        // and a seeded method draws the same masks run after run
        if (method.startsWith("dare")) {
            Map<String, byte[]> again = merge(method, 2);
            for (String name : one.keySet()) assertArrayEquals(one.get(name), again.get(name), "again, tensor '" + name + "'");
        }
    }
}
