package alloy.merge;

import static alloy.merge.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.Kernels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TIES family on hand-computed cases. */
class TaskArithmeticTest {

    // Base 1 everywhere; the three task vectors below (written as d, models are 1 + d).
    static final float[] BASE = filled(6, 1f);
    static final float[] D1 = {0.5f, -0.1f, 0.3f, -0.8f, 0.05f, 0.2f};
    static final float[] D2 = {-0.4f, 0.6f, 0.1f, 0.2f, -0.3f, 0f};
    static final float[] D3 = {0.2f, 0.3f, -0.7f, -0.1f, 0.9f, -0.6f};

    /**
     * Densities 0.5, 0.5, 0.34 keep floor(6 d) = 3, 3, 2 entries:
     * d1 -> [0.5, 0, 0.3, -0.8, 0, 0], d2 -> [-0.4, 0.6, 0, 0, -0.3, 0], d3 -> [0, 0, -0.7, 0, 0.9, 0].
     * Weights 1, 0.5, 2 give v1 = [0.5, 0, 0.3, -0.8, 0, 0], v2 = [-0.2, 0.3, 0, 0, -0.15, 0], v3 = [0, 0, -1.4, 0, 1.8, 0].
     * Sums [0.3, 0.3, -1.1, -0.8, 1.65, 0] elect + + - - + + (0 goes to +). Agreeing: element 0 v1 (w 1),
     * 1 v2 (w 0.5), 2 v3 (w 2), 3 v1 (w 1), 4 v3 (w 2), 5 none (divisor 0 -> 1).
     */
    static Fixture ties() {
        return Fixture.of("ties").base(BASE)
                .model("a", Map.of("weight", 1.0, "density", 0.5), plus(BASE, D1))
                .model("b", Map.of("weight", 0.5, "density", 0.5), plus(BASE, D2))
                .model("c", Map.of("weight", 2.0, "density", 0.34), plus(BASE, D3));
    }

    @Test
    void tiesOnThreeModelsByHand() {
        assertArrayEquals(plus(BASE, new float[] {0.5f, 0.6f, -0.7f, -0.8f, 0.9f, 0f}), ties().merge(), 1e-6f);
    }

    @Test
    void tiesWithoutNormalizeAndWithLambda() {
        assertArrayEquals(plus(BASE, new float[] {0.5f, 0.3f, -1.4f, -0.8f, 1.8f, 0f}), ties().set("normalize", 0).merge(), 1e-6f);
        assertArrayEquals(plus(BASE, new float[] {0.25f, 0.3f, -0.35f, -0.4f, 0.45f, 0f}), ties().set("lambda", 0.5).merge(), 1e-6f);
    }

    @Test
    void signByCountElectsByMajorityOfSigns() {
        // element 2: v1 = +0.3, v3 = -1.4: the sum elects -, the count ties 1:1 and so elects +, keeping v1 (w 1).
        // element 4: v2 = -0.15, v3 = +1.8: both elect +.
        assertArrayEquals(plus(BASE, new float[] {0.5f, 0.6f, 0.3f, -0.8f, 0.9f, 0f}), ties().set(TaskArithmetic.SIGN_BY_COUNT, 1).merge(), 1e-6f);
    }

    @Test
    void aSignTieElectsPlus() {
        // weighted deltas +0.5 and -0.5 sum to exactly 0: mergekit's (sum >= 0) elects +, keeping the first
        float[] out = Fixture.of("ties").base(0, 0).model("a", 1.0, 0.5f, -0.5f).model("b", 1.0, -0.5f, 0.5f).merge();
        assertArrayEquals(new float[] {0.5f, 0.5f}, out);
        float[] count = Fixture.of("ties").base(0, 0).model("a", 1.0, 0.5f, -0.5f).model("b", 1.0, -0.25f, 0.25f)
                .set(TaskArithmetic.SIGN_BY_COUNT, 1).merge();
        assertArrayEquals(new float[] {0.5f, 0.25f}, count);
    }

    @Test
    void int8MaskChangesNothing() {
        assertArrayEquals(ties().merge(), ties().set("int8_mask", 1).merge());
    }

    @Test
    void taskArithmeticIsBasePlusWeightedSum() {
        float[] out = Fixture.of("task_arithmetic").base(BASE)
                .model("a", 1.0, plus(BASE, D1)).model("b", 0.5, plus(BASE, D2)).set("lambda", 2).merge();
        float[] expect = new float[6];
        for (int i = 0; i < 6; i++) expect[i] = BASE[i] + 2 * (D1[i] + 0.5f * D2[i]);
        assertArrayEquals(expect, out, 1e-6f);
        // normalize divides by the sum of all weights (1.5), not element-wise
        float[] norm = Fixture.of("task_arithmetic").base(BASE)
                .model("a", 1.0, plus(BASE, D1)).model("b", 0.5, plus(BASE, D2)).set("normalize", 1).merge();
        for (int i = 0; i < 6; i++) expect[i] = BASE[i] + (D1[i] + 0.5f * D2[i]) / 1.5f;
        assertArrayEquals(expect, norm, 1e-6f);
    }

    @Test
    void listedBaseIsNotATaskVector() {
        float[] listed = Fixture.of("task_arithmetic").listedBase(Map.of(), BASE).model("a", 1.0, plus(BASE, D1)).merge();
        assertArrayEquals(plus(BASE, D1), listed, 1e-6f);
    }

    @Test
    void noModelsBesidesTheBaseGivesTheBase() {
        assertArrayEquals(BASE, Fixture.of("ties").listedBase(Map.of(), BASE).merge());
    }

    @Test
    void tiesWithOneModelEqualsTaskArithmetic() {
        float[] base = gaussian(999, 1, 0.05), x = plus(base, gaussian(999, 2, 0.01));
        float[] ta = Fixture.of("task_arithmetic").base(base).model("a", 0.7, x).merge();
        float[] ties = Fixture.of("ties").base(base).model("a", 0.7, x).set("normalize", 0).merge();
        assertArrayEquals(ta, ties, 1e-7f);
        // with normalize (ties' default) the single weight divides out
        float[] normalized = Fixture.of("ties").base(base).model("a", 0.7, x).merge();
        assertArrayEquals(x, normalized, 1e-6f);
    }

    @Test
    void rescaleKeepsTheL1NormOfEachTaskVector() {
        float[] base = gaussian(1000, 3, 0.05), d = gaussian(1000, 4, 0.01);
        float[] out = Fixture.of("ties").base(base).model("a", Map.of("weight", 1.0, "density", 0.3), plus(base, d))
                .set("rescale", 1).merge();
        float[] kept = minus(out, base), delta = minus(plus(base, d), base);
        double l1 = 0, l1kept = 0;
        int nonZero = 0;
        for (int i = 0; i < d.length; i++) {
            l1 += Math.abs(delta[i]);
            l1kept += Math.abs(kept[i]);
            if (Math.abs(kept[i]) > 1e-9) nonZero++;
        }
        assertEquals(300, nonZero);
        assertEquals(l1, l1kept, 1e-4 * l1);
    }

    @Test
    void tiesKeepsTheLargestMagnitudes() {
        // one model, distinct magnitudes 1..100 in scrambled order: density 0.25 keeps exactly 76..100
        float[] base = new float[100], x = new float[100];
        for (int i = 0; i < 100; i++) x[i] = ((i * 37) % 100 + 1) * (i % 2 == 0 ? 1f : -1f);
        float[] out = Fixture.of("ties").base(base).model("a", Map.of("weight", 1.0, "density", 0.25), x).merge();
        for (int i = 0; i < 100; i++) assertEquals(Math.abs(x[i]) > 75 ? x[i] : 0f, out[i], "element " + i);
    }

    @Test
    void equalWeightsCancelExactlyToTheBaseWithoutConsensus() {
        float[] out = Fixture.of("task_arithmetic").base(BASE).model("a", 1.0, plus(BASE, D1)).model("b", -1.0, plus(BASE, D1))
                .set("normalize", 1).merge();
        assertArrayEquals(BASE, out, 1e-7f);   // divisor 0 -> 1, sum 0
    }

    @Test
    void missingWeightNamesModelAndTensor() {
        Fixture f = Fixture.of("ties").named("lm_head.weight").base(BASE).model("finetune-x", Map.of("density", 0.5), plus(BASE, D1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::merge);
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("finetune-x") && e.getMessage().contains("weight"),
                e.getMessage());
    }

    @Test
    void fastAndReferenceKernelsAgree() {
        float[] base = gaussian(4099, 5, 0.05);
        for (String m : new String[] {"ties", "dare_ties", "breadcrumbs_ties", "della", "task_arithmetic", "dare_linear", "della_linear"}) {
            Fixture f = Fixture.of(m).base(base)
                    .model("a", Map.of("weight", 0.6, "density", 0.4), plus(base, gaussian(4099, 6, 0.01)))
                    .model("b", Map.of("weight", 0.4, "density", 0.6), plus(base, gaussian(4099, 7, 0.01)));
            assertArrayEquals(f.merge(Kernels.reference()).toArray(), f.merge(Kernels.fast()).toArray(), 1e-6f, m);
        }
    }
}
