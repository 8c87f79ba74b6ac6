package alloy.merge;

import static alloy.merge.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** linear, slerp, nuslerp and passthrough on hand-computed cases. */
class InterpolationTest {

    private static final float R = (float) Math.sqrt(0.5);

    @Test
    void linearNormalizesByTheWeightSum() {
        float[] out = Fixture.of("linear").model("a", 1.0, 1, 2, 3).model("b", 3.0, 5, 6, 7).merge();
        assertArrayEquals(new float[] {4, 5, 6}, out, 1e-6f);
        float[] raw = Fixture.of("linear").model("a", 1.0, 1, 2, 3).model("b", 3.0, 5, 6, 7).set("normalize", 0).merge();
        assertArrayEquals(new float[] {16, 20, 24}, raw, 1e-6f);
    }

    @Test
    void linearWeightsOneZeroGiveTheFirstModel() {
        float[] a = gaussian(1001, 1, 1), b = gaussian(1001, 2, 1);
        assertArrayEquals(a, Fixture.of("linear").model("a", 1.0, a).model("b", 0.0, b).merge());
    }

    @Test
    void linearTakesAListedBaseWithItsWeight() {
        float[] out = Fixture.of("linear").listedBase(Map.of("weight", 1.0), 0, 0).model("a", 1.0, 2, 4).merge();
        assertArrayEquals(new float[] {1, 2}, out, 1e-6f);
    }

    @Test
    void linearRefusesToNormalizeWeightsSummingToZero() {
        Fixture f = Fixture.of("linear").named("lm_head.weight").model("a", 1.0, 1, 2).model("b", -1.0, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::merge);
        assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }

    @Test
    void slerpOfOrthogonalUnitVectorsAtHalfIsTheNormalizedBisector() {
        assertArrayEquals(new float[] {R, R}, Fixture.of("slerp").base(1, 0).model("b", Map.of(), 0, 1).set("t", 0.5).merge(), 1e-6f);
    }

    @Test
    void slerpKeepsLengthsAlongTheArc() {
        // a = (1, 0), b = 2 (cos 60, sin 60): theta = 60 degrees, at t = 0.5 both coefficients are
        // sin 30 / sin 60 = 0.57735, so out = 0.57735 (1 + 1, 0 + 1.73205) = (1.1547, 1).
        float[] out = Fixture.of("slerp").base(1, 0).model("b", Map.of(), 1, (float) Math.sqrt(3)).set("t", 0.5).merge();
        assertArrayEquals(new float[] {1.1547005f, 1f}, out, 1e-6f);
    }

    @Test
    void slerpEndpointsAreExact() {
        float[] a = gaussian(513, 3, 1), b = gaussian(513, 4, 1);
        assertArrayEquals(a, Fixture.of("slerp").base(a).model("b", Map.of(), b).set("t", 0).merge());
        assertArrayEquals(b, Fixture.of("slerp").base(a).model("b", Map.of(), b).set("t", 1).merge());
    }

    @Test
    void slerpFallsBackToLerpForNearlyParallelTensors() {
        float[] out = Fixture.of("slerp").base(1, 2).model("b", Map.of(), 2, 4.001f).set("t", 0.25).merge();
        assertArrayEquals(new float[] {1.25f, 2.50025f}, out, 1e-6f);
    }

    @Test
    void slerpUsesTheBaseAsTheStartWhereverItIsListed() {
        float[] out = Fixture.of("slerp").model("b", Map.of(), 0, 1).listedBase(Map.of(), 1, 0).set("t", 0.0).merge();
        assertArrayEquals(new float[] {1, 0}, out);
    }

    @Test
    void nuslerpTakesTFromTheWeights() {
        // t = w1 / (w0 + w1) = 0.25 between orthogonal unit vectors: (sin 67.5, sin 22.5)
        float[] out = Fixture.of("nuslerp").model("a", 3.0, 1, 0).model("b", 1.0, 0, 1).merge();
        assertArrayEquals(new float[] {0.9238795f, 0.3826834f}, out, 1e-6f);
        float[] half = Fixture.of("nuslerp").model("a", 1.0, 1, 0).model("b", -1.0, 0, 1).merge();   // weights sum to 0: t = 0.5
        assertArrayEquals(new float[] {R, R}, half, 1e-6f);
    }

    @Test
    void nuslerpRowsAndColumns() {
        float[] x0 = {1, 0, 0, 1}, x1 = {0, 1, 0, 2};
        // per row (last axis): row 0 orthogonal -> bisector; row 1 parallel -> lerp (0, 1.5)
        float[] rows = Fixture.of("nuslerp").shape(2, 2).model("a", 1.0, x0).model("b", 1.0, x1).set("nuslerp_flatten", 0).merge();
        assertArrayEquals(new float[] {R, R, 0, 1.5f}, rows, 1e-6f);
        // row_wise = mergekit's dim 0, i.e. columns: column 0 is (1, 0) vs (0, 0), a zero vector, so theta = 90
        // degrees and both coefficients are sin 45; column 1 is (0, 1) vs (1, 2), cos = 2/sqrt 5, and both
        // coefficients are sin(theta / 2) / sin(theta) = 0.513743.
        float[] cols = Fixture.of("nuslerp").shape(2, 2).model("a", 1.0, x0).model("b", 1.0, x1)
                .set("nuslerp_flatten", 0).set("nuslerp_row_wise", 1).merge();
        assertArrayEquals(new float[] {R, 0.5137431f, 0, 1.5412294f}, cols, 1e-6f);
    }

    @Test
    void nuslerpWithBaseInterpolatesTaskVectors() {
        float[] b = {5, -3};
        float[] out = Fixture.of("nuslerp").base(b).model("a", 1.0, 6, -3).model("b", 1.0, 5, -2).merge();
        assertArrayEquals(new float[] {5 + R, -3 + R}, out, 1e-6f);
    }

    @Test
    void nuslerpStridedAndContiguousPathsAgreeOnVectors() {
        // a 1-D tensor's only axis is both first and last: row_wise must not change the result
        float[] a = gaussian(300, 5, 1), b = gaussian(300, 6, 1);
        float[] last = Fixture.of("nuslerp").model("a", 0.3, a).model("b", 0.7, b).set("nuslerp_flatten", 0).merge();
        float[] first = Fixture.of("nuslerp").model("a", 0.3, a).model("b", 0.7, b).set("nuslerp_flatten", 0).set("nuslerp_row_wise", 1).merge();
        float[] flat = Fixture.of("nuslerp").model("a", 0.3, a).model("b", 0.7, b).merge();
        assertArrayEquals(flat, last, 1e-6f);
        assertArrayEquals(flat, first, 1e-6f);
    }

    @Test
    void passthroughCopiesAndScales() {
        Fixture f = Fixture.of("passthrough").model("a", Map.of(), 1, -2, 3);
        assertArrayEquals(new float[] {1, -2, 3}, f.merge());
        TensorTask task = f.task();
        assertNotSame(task.inputs().get(0).tensor().data(), MergeMethods.get("passthrough").merge(task, java.lang.foreign.Arena.ofAuto(),
                alloy.tensor.Kernels.fast()).data());
        assertArrayEquals(new float[] {0.5f, -1, 1.5f}, Fixture.of("passthrough").model("a", Map.of("scale", 0.5), 1, -2, 3).merge());
    }
}
