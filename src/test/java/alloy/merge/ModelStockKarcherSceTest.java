package alloy.merge;

import static alloy.merge.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** model_stock, karcher and sce on hand-computed cases. */
class ModelStockKarcherSceTest {

    private static final float S3 = (float) (Math.sqrt(3) / 2);

    /**
     * Row 0: offsets (1, 0) and (0.5, 0.866) at 60 degrees, cos 0.5, t = 2 * 0.5 / 1.5 = 2/3, average
     * (0.75, 0.433), out = 2/3 (0.75, 0.433) + 1/3 (0, 0) = (0.5, 0.288675). Row 1: offsets (1, 0), (0, 1)
     * orthogonal, t = 0, out = base row (1, 1). Whole tensor: o1 = (1, 0, 1, 0), o2 = (0.5, 0.866, 0, 1),
     * dot 0.5, both norms sqrt 2, cos 0.25, t = 0.5 / 1.25 = 0.4, out = 0.4 average + 0.6 base.
     */
    private static Fixture stock() {
        return Fixture.of("model_stock").shape(2, 2).base(0, 0, 1, 1)
                .model("a", Map.of(), 1, 0, 2, 1)
                .model("b", Map.of(), 0.5f, S3, 1, 2);
    }

    @Test
    void modelStockFilterWise() {
        assertArrayEquals(new float[] {0.5f, 0.2886751f, 1, 1}, stock().set("filter_wise", 1).merge(), 1e-6f);
    }

    @Test
    void modelStockWholeTensor() {
        assertArrayEquals(new float[] {0.3f, 0.4f * S3 / 2, 1.2f, 1.2f}, stock().merge(), 1e-6f);
    }

    @Test
    void modelStockAveragesCosinesOverPairs() {
        // three offsets: e1, e1, e2 -> pair cosines 1, 0, 0, mean 1/3, t = 3 (1/3) / (1 + 2/3) = 0.6
        float[] out = Fixture.of("model_stock").base(0, 0).model("a", Map.of(), 1, 0).model("b", Map.of(), 1, 0).model("c", Map.of(), 0, 1).merge();
        assertArrayEquals(new float[] {0.6f * 2 / 3, 0.6f / 3}, out, 1e-6f);
    }

    @Test
    void karcherOfTwoOrthogonalUnitVectorsIsTheBisector() {
        assertArrayEquals(new float[] {(float) Math.sqrt(0.5), (float) Math.sqrt(0.5)},
                Fixture.of("karcher").model("a", Map.of(), 1, 0).model("b", Map.of(), 0, 1).merge(), 1e-6f);
    }

    @Test
    void karcherAveragesAnglesOnTheCircleAndNorms() {
        // directions at 0, 30 and 90 degrees (inside a half circle: the Karcher mean is the mean angle, 40),
        // norms 1, 2, 3 (mean 2)
        double r = Math.toRadians(30);
        float[] out = Fixture.of("karcher")
                .model("a", Map.of(), 1, 0)
                .model("b", Map.of(), (float) (2 * Math.cos(r)), (float) (2 * Math.sin(r)))
                .model("c", Map.of(), 0, 3).merge();
        assertArrayEquals(new float[] {1.5320889f, 1.2855752f}, out, 1e-5f);
    }

    @Test
    void karcherIncludesAnUnlistedBase() {
        float[] out = Fixture.of("karcher").base(2, 0).model("a", Map.of(), 0, 2).merge();
        assertArrayEquals(new float[] {(float) Math.sqrt(2), (float) Math.sqrt(2)}, out, 1e-5f);
    }

    /**
     * d1 = (1, -2, 0.5, 0), d2 = (3, 1, -0.5, 0): mean squares 1.3125 and 2.5625, weights 0.33871 and
     * 0.66129. Sums (4, -1, 0, 0) elect + - + +. Element 0: both agree, (w1 + 3 w2) / 1 = 2.322581;
     * element 1: d1 alone, -2; element 2: d1 alone (0 goes to +), 0.5; element 3: nothing, 0.
     */
    @Test
    void sceByHand() {
        float[] out = Fixture.of("sce").base(0, 0, 0, 0).model("a", Map.of(), 1, -2, 0.5f, 0).model("b", Map.of(), 3, 1, -0.5f, 0).merge();
        assertArrayEquals(new float[] {2.3225806f, -2, 0.5f, 0}, out, 1e-6f);
    }

    @Test
    void sceSelectsByVariance() {
        // variances (1, 2.25, 0.25, 0): three non-zero, floor(3 * 0.5) = 1 kept: element 1 only
        float[] out = Fixture.of("sce").base(0, 0, 0, 0).model("a", Map.of(), 1, -2, 0.5f, 0).model("b", Map.of(), 3, 1, -0.5f, 0)
                .set("select_topk", 0.5).merge();
        assertArrayEquals(new float[] {0, -2, 0, 0}, out, 1e-6f);
    }

    @Test
    void sceFallsBackToEqualWeightsForSmallTaskVectors() {
        // mean squares 1e-8 and 4e-8 sum below 1e-6: weights 1/2 each instead of 1/5 and 4/5
        float[] out = Fixture.of("sce").base(0, 0).model("a", Map.of(), 1e-4f, 1e-4f).model("b", Map.of(), 2e-4f, 2e-4f).merge();
        assertArrayEquals(new float[] {1.5e-4f, 1.5e-4f}, out, 1e-10f);
    }
}
