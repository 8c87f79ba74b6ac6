package alloy.merge;

import static alloy.merge.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Properties every registered method must have. */
class MethodPropertiesTest {

    static java.util.List<String> methods() { return MergeMethods.names(); }

    /** A typical recipe for {@code method}: a base where it takes one, then as many models as it takes. */
    static Fixture recipe(String method, float[] base, float[]... models) {
        Fixture f = Fixture.of(method).shape(23, 41);
        MergeMethod m = MergeMethods.get(method);
        if (m.base() != MergeMethod.BaseUse.UNUSED) f.base(base);
        int count = Math.min(models.length, m.maxModels());
        double[] weights = {0.5, 0.3, 0.2};
        for (int i = 0; i < count; i++) {
            Map<String, Double> p = switch (method) {
                case "linear", "nuslerp", "task_arithmetic" -> Map.of("weight", weights[i]);
                case "ties", "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della", "della_linear" ->
                        Map.of("weight", weights[i], "density", 0.5);
                default -> Map.of();
            };
            f.model("m" + i, p, models[i]);
        }
        if (method.equals("slerp")) f.set("t", 0.3);
        if (method.equals("sce")) f.set("select_topk", 0.5);
        return f;
    }

    @ParameterizedTest
    @MethodSource("methods")
    void mergingIdenticalModelsGivesThatModel(String method) {
        float[] x = plus(filled(23 * 41, 0.02f), gaussian(23 * 41, 1, 0.05));
        float[] out = recipe(method, x, x, x, x).merge();
        assertArrayEquals(x, out, 1e-6f, method);
    }

    @ParameterizedTest
    @MethodSource("methods")
    void fastAndReferenceKernelsAgree(String method) {
        int n = 23 * 41;
        float[] base = gaussian(n, 2, 0.05);
        Fixture f = recipe(method, base, plus(base, gaussian(n, 3, 0.01)), plus(base, gaussian(n, 4, 0.01)), plus(base, gaussian(n, 5, 0.01)));
        float[] fast = f.merge(Kernels.fast()).toArray(), ref = f.merge(Kernels.reference()).toArray();
        assertArrayEquals(ref, fast, 2e-6f, method);
    }

    @ParameterizedTest
    @MethodSource("methods")
    void resultIsFreshAndInputsUntouched(String method) {
        int n = 23 * 41;
        float[] base = gaussian(n, 6, 0.05), a = plus(base, gaussian(n, 7, 0.01)), b = plus(base, gaussian(n, 8, 0.01)), c = plus(base, gaussian(n, 9, 0.01));
        Fixture f = recipe(method, base, a, b, c);
        TensorTask task = f.task();
        float[][] before = task.inputs().stream().map(i -> i.tensor().toArray()).toArray(float[][]::new);
        FloatTensor out = MergeMethods.get(method).merge(task, Arena.ofAuto(), Kernels.fast());
        assertEquals(task.inputs().get(0).tensor().shape(), out.shape());
        for (int i = 0; i < before.length; i++) {
            assertArrayEquals(before[i], task.inputs().get(i).tensor().toArray(), method + " changed input " + i);
            assertNotEquals(task.inputs().get(i).tensor().data().address(), out.data().address());
        }
        assertEquals(-1, Kernels.fast().firstNonFinite(out));
        // deterministic: the same task merges to the same bits
        assertArrayEquals(out.toArray(), MergeMethods.get(method).merge(task, Arena.ofAuto(), Kernels.fast()).toArray());
    }
}
