package alloy.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Coefficient columns by filter group and anchor: a tensor takes the first filter it contains, as a mergekit
 * {filter, value} list picks, and the written setting gives back, per tensor and depth, the value its column holds.
 */
class CoefficientLayoutTest {

    private static final CoefficientLayout LAYOUT = new CoefficientLayout(List.of("q_proj", "self_attn", "mlp"), 3);

    @Test
    void aTensorTakesItsFirstMatchingFilterAndTheRestTakeTheLastGroup() {
        assertEquals(0, LAYOUT.group("model.layers.2.self_attn.q_proj.weight"), "q_proj comes before self_attn");
        assertEquals(1, LAYOUT.group("model.layers.2.self_attn.k_proj.weight"));
        assertEquals(2, LAYOUT.group("model.layers.0.mlp.down_proj.weight"));
        assertEquals(3, LAYOUT.group("model.norm.weight"));
        assertEquals(4, LAYOUT.groups());
        assertEquals(12, LAYOUT.columns());
        assertEquals("rest", LAYOUT.groupLabel(3));
    }

    @Test
    void eachGroupIsReportedAtTheLayersWhereItHasTensors() {
        // four layers (t = 0, 1/3, 2/3, 1); embeddings and head at t = 0, as the planner places them
        java.util.Map<String, Double> depths = new java.util.LinkedHashMap<>();
        depths.put("model.embed_tokens.weight", 0.0);
        for (int l = 0; l < 4; l++) {
            depths.put("model.layers." + l + ".self_attn.q_proj.weight", l / 3.0);
            depths.put("model.layers." + l + ".mlp.up_proj.weight", l / 3.0);
        }
        depths.put("lm_head.weight", 0.0);
        CoefficientLayout layout = new CoefficientLayout(List.of("q_proj", "lm_head"), 2);
        var at = layout.layersByGroup(depths, 4);
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(0), List.of(0, 1, 2, 3)), at.stream().map(List::copyOf).toList());
        // a recipe's {filter, value} entry back to its group: its filter's, or the rest's for the unfiltered last entry
        assertEquals(1, layout.groupOfFilter("lm_head"));
        assertEquals(2, layout.groupOfFilter(null));
    }

    @Test
    void theWrittenSettingGivesEachTensorItsOwnColumns() {
        double[] row = new double[LAYOUT.columns()];
        for (int c = 0; c < row.length; c++) row[c] = 0.1 * (c + 1);
        var filtered = assertInstanceOf(ParameterSetting.Filtered.class, LAYOUT.setting(row));
        String[] names = {"model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.v_proj.weight", "model.layers.1.mlp.up_proj.weight", "lm_head.weight"};
        for (String name : names) {
            int g = LAYOUT.group(name);
            for (double t : new double[] {0, 0.25, 0.5, 1}) {
                float[] weights = LAYOUT.interpolation(g, t);
                double expected = 0;
                for (int c = 0; c < row.length; c++) expected += weights[c] * row[c];
                assertEquals(expected, filtered.evaluate(name, t).orElseThrow(), 1e-6, name + " at t=" + t);
            }
        }
        // columns outside a tensor's group have no weight
        float[] w = LAYOUT.interpolation(2, 0.5);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, w, 1e-6f);
    }

    @Test
    void withoutFiltersTheSettingIsAPlainGradientOrScalar() {
        assertInstanceOf(ParameterSetting.Gradient.class, CoefficientLayout.of(2).setting(new double[] {0.1, 0.2}));
        assertEquals(0.5, assertInstanceOf(ParameterSetting.Scalar.class, CoefficientLayout.of(1).setting(new double[] {0.5})).value());
    }

    @Test
    void catchAllAndRepeatedFiltersAndWrongRowsAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CoefficientLayout(List.of("mlp", "*"), 1)).getMessage().contains("'*'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CoefficientLayout(List.of(""), 1)).getMessage().contains("every tensor"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new CoefficientLayout(List.of("mlp", "mlp"), 1)).getMessage().contains("twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LAYOUT.setting(new double[5])).getMessage().contains("5 coefficients"));
    }
}
