package alloy.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.tensor.DType;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe that fails on every tensor (linear weights summing to 0 under normalize) reports the same tensor on
 * every run at a given thread count, whichever worker reaches a failing tensor first: the earliest failing step
 * in schedule order.
 */
class MergeErrorOrderTest {

    @TempDir Path dir;

    @Test
    void theSameTensorIsNamedOnEveryRun() {
        RandomModels.write(dir.resolve("a"), RandomModels.Spec.tiny(), DType.F32, 1, 2, 1.0, 1 << 30);
        RandomModels.write(dir.resolve("b"), RandomModels.Spec.tiny(), DType.F32, 1, 3, 1.0, 1 << 30);
        Recipe zeroSum = RecipeYaml.parse("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1.0}\n"
                + "  - model: b\n    parameters: {weight: -1.0}\nparameters: {normalize: true}\ndtype: float32\n", "zero-sum", dir);
        for (int threads : new int[] {2, 3}) {
            Set<String> messages = new HashSet<>();
            for (int run = 0; run < 20; run++) {
                try (MergeRun r = MergeRun.prepare(zeroSum)) {
                    var e = assertThrows(IllegalArgumentException.class,
                            () -> r.toMemory("m", new MergeRun.Options(0, threads, Kernels.fast()), s -> {}).close());
                    messages.add(e.getMessage());
                }
            }
            assertEquals(1, messages.size(), threads + " threads: " + messages);
            assertTrue(messages.iterator().next().contains("weights sum to 0"), messages.toString());
        }
    }
}
